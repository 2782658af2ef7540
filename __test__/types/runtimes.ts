// Typical use of mqtt-napi/device and mqtt-napi/jsre type-checks; the mistakes marked as
// expected errors are refused.
import device from '../../device'
import { MqttError, type Client as DeviceClient } from '../../device'
import jsre from '../../jsre'
import type { Message } from '../../jsre'

device.set('ssl.ca', '-----BEGIN CERTIFICATE-----\n...')
device.set('ssl.ca')
// @ts-expect-error: not a setting
device.set('ssl.capath', 'x')

const c: DeviceClient | undefined = device.connect('mqtts://example.com:8883', { clientId: 'a', reconnectCount: 1855, protocolVersion: 3, protocolId: 'MQIsdp' })
if (c) {
  c.on('connect', (connack) => { const rc: number = connack.returnCode; void rc })
  c.on('error', (err) => { const code: number = err.code; void code; void c.get('errnoConnect') })
  c.on('message', (topic: string, message: string | ArrayBuffer) => { void topic; void message })
  const refused: MqttError | undefined = c.publish('t', 'm', { qos: 1 }, (err) => { if (err.code !== 0) console.log(err.message) })
  void refused
  c.subscribe('t/#', { qos: 2, bin: true })
  c.unsubscribe('t/#', (err) => void err.code)
  // @ts-expect-error: QoS 3 does not exist
  c.publish('t', 'm', { qos: 3 })
  // @ts-expect-error: protocol version 5 is not the runtime's
  device.connect('mqtt://h', { protocolVersion: 5 })
  c.end(() => {})
}

const addr = jsre.sockaddr('127.0.0.1', 1883)
const j = jsre.open(addr, { ca: 'pem', server: 'broker.example', rejectUnauthorized: true }, 5000)
if (j) {
  j.connect({ client: 'id', user: 'u', passwd: 'p', keepalive: 30, will: true, topic: 'w', message: 'bye', qos: 1 }, (cl) => {
    cl.publish('t', Buffer.from('x'), { qos: 1 }, (error) => { if (error) console.log(error.message) })
  })
  j.on('message', (data: Message) => { const b: Buffer = data.message; void b; void data.packetId })
  j.on('disconnect', () => j.close())
  // @ts-expect-error: messages are one object, not (topic, payload)
  j.on('message', (topic: string, payload: Buffer) => void [topic, payload])
  const queued: boolean = j.isQueued()
  void queued
}
jsre.open(addr, undefined, (client, remote) => { if (remote) client.connect({ client: 'x' }) }, 2048)
const m: 'off' | 'listener' | 'publisher' = jsre.mode()
void m
// @ts-expect-error: a socket address object, not a URL
jsre.open('mqtt://127.0.0.1', undefined, 1000)
