'use strict'

// new MqttClient(streamBuilder, options): any Duplex as the connection, the bytes still going
// through the native session. Against Mosquitto; MQTT_IMPL=mqtt runs the same on MQTT.js.

const test = require('node:test')
const { once, withTimeout, resendsAfterDrop } = require('./helpers/wait')
const assert = require('node:assert')
const net = require('node:net')
const impl = require('./helpers/impl')
const { startBroker } = require('./helpers/broker')

const mqtt = impl.mqtt()


let broker
test.before(async () => { broker = await startBroker() })
test.after(async () => { await broker.stop() })

test('a streamBuilder\'s socket carries the session: messages at QoS 0, 1 and 2; client.stream is that socket', async () => {
  const sockets = []
  const c = new mqtt.MqttClient(() => {
    const s = net.connect(broker.port, '127.0.0.1')
    sockets.push(s)
    return s
  }, { reconnectPeriod: 0, clientId: `custom-${process.pid}` })
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    assert.strictEqual(c.stream, sockets[0])
    await c.subscribeAsync('custom/+', { qos: 2 })
    for (const qos of [0, 1, 2]) {
      const got = once(c, 'message')
      await withTimeout(c.publishAsync(`custom/${qos}`, `via duplex ${qos}`, { qos }), 5000, 'publish')
      const [topic, payload, packet] = await withTimeout(got, 5000, 'message')
      assert.deepStrictEqual([topic, payload.toString(), packet.qos], [`custom/${qos}`, `via duplex ${qos}`, qos])
    }
  } finally {
    await c.endAsync()
  }
  assert.strictEqual(sockets.length, 1)
})

test('each reconnect calls the builder again, and an unacknowledged QoS 1 publish is resent', async () => {
  let built = 0
  const c = new mqtt.MqttClient(() => {
    built++
    return net.connect(broker.port, '127.0.0.1')
  }, { reconnectPeriod: 100, clientId: `custom-re-${process.pid}`, clean: false })
  const watcher = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 })
  await resendsAfterDrop(c, watcher, 'custom/resend')
  assert.ok(built >= 2, `builder called ${built} times`)
})

test('a stream that fails reports its error on the client, then close', async () => {
  const c = new mqtt.MqttClient(() => net.connect(1, '127.0.0.1'), { reconnectPeriod: 0 })
  const [err] = await withTimeout(once(c, 'error'), 5000, 'error')
  assert.strictEqual(err.code, 'ECONNREFUSED')
  await withTimeout(once(c, 'close'), 5000, 'close')
  c.end(true)
})
