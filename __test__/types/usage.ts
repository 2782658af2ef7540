import mqtt, { connect, MqttClient, IClientOptions, ISubscriptionGrant } from '../../index'
import { parser, generate } from '../../packet'
const opts: IClientOptions = { host: '127.0.0.1', port: 1883, keepalive: 30, protocolVersion: 5, autoAssignTopicAlias: true }
const c: MqttClient = connect('mqtt://127.0.0.1', opts)
c.on('connect', (p) => { const rc: number | undefined = p.returnCode; void rc })
c.on('message', (topic, payload, packet) => { const s: string = topic + payload.toString() + packet.qos; void s })
c.subscribe({ 'a/#': { qos: 1 } }, (err, granted?: ISubscriptionGrant[]) => { void err; void granted })
c.publish('a', 'b', { qos: 1 }, (err) => { void err })
c.end(true, () => {})
const p = parser({ protocolVersion: 5 }); p.on('packet', (x) => x.cmd); p.parse(generate({ cmd: 'pingreq' }))
void mqtt.connect
