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
// The server side.
const server = mqtt.createServer((client) => {
  client.on('connect', (pk) => client.connack({ returnCode: 0, sessionPresent: false, reasonCode: pk.protocolVersion === 5 ? 0 : undefined }))
  client.on('publish', (pk) => { if (pk.qos === 1 && pk.messageId) client.puback({ messageId: pk.messageId }) })
  client.on('subscribe', (pk) => client.suback({ messageId: pk.messageId, granted: pk.subscriptions.map((s) => s.qos) }))
  client.on('pingreq', () => client.pingresp())
  client.on('error', () => client.destroy())
})
server.listen(0)
const conn = mqtt.createConnection(1883, '127.0.0.1', (err, cn) => { void err; void cn })
conn.on('connected', () => conn.connect({ clientId: 'x', protocolVersion: 4, keepalive: 10, protocolId: 'MQTT' }))
conn.setPacketEncoding('utf8')
void mqtt.createSecureServer
