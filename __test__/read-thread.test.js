'use strict'

// Which thread reads plain TCP (src/driver/app_read.rs): the JS thread while the connection
// is quiet, the I/O thread while data streams in. Bursts and single round trips must arrive
// whole and in order whichever thread reads, and across the handoffs between them.

const test = require('node:test')
const assert = require('node:assert')
const mqttPacket = require('mqtt-packet')
const impl = require('./helpers/impl')
const { once, withTimeout } = require('./helpers/wait')
const { fakeBroker } = require('./helpers/fake-broker')

const skip = impl.upstream && 'which thread reads is this package\'s own'
const BURST = 50000

/** Many PUBLISH packets as one write: the client finds far more than 64 KiB waiting. */
function burst (qos) {
  const parts = []
  for (let i = 0; i < BURST; i++) {
    parts.push(mqttPacket.generate({ cmd: 'publish', topic: 'burst', payload: String(i), qos, messageId: qos ? (i % 65535) + 1 : undefined }))
  }
  return Buffer.concat(parts)
}

/** Resolves when `n` messages on `topic` arrived; checks they came in order. */
function collect (c, topic, n) {
  let next = 0
  return new Promise((resolve, reject) => {
    const on = (t, payload) => {
      if (t !== topic) return
      if (payload.toString() !== String(next)) {
        c.removeListener('message', on)
        return reject(new Error(`message ${next} came as ${payload}`))
      }
      if (++next === n) {
        c.removeListener('message', on)
        resolve()
      }
    }
    c.on('message', on)
  })
}

for (const mode of ['adaptive', 'js', 'io']) {
  test(`reads with MQTT_NAPI_READ_THREAD=${mode}: a QoS 0 burst, round trips, a QoS 1 burst`, { skip }, async () => {
    let pubacks = 0
    const fb = await fakeBroker((p, conn) => {
      if (p.cmd === 'connect') conn.send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
      if (p.cmd === 'subscribe') {
        conn.send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map(() => 0) })
        conn.socket.write(burst(0))
      }
      if (p.cmd === 'publish' && p.topic === 'ping') {
        conn.send({ cmd: 'puback', messageId: p.messageId })
        conn.send({ cmd: 'publish', topic: 'pong', payload: p.payload, qos: 0 })
      }
      if (p.cmd === 'publish' && p.topic === 'more') conn.socket.write(burst(1))
      if (p.cmd === 'puback') pubacks++
    })
    if (mode === 'adaptive') delete process.env.MQTT_NAPI_READ_THREAD
    else process.env.MQTT_NAPI_READ_THREAD = mode
    const mqtt = impl.mqtt()
    const c = mqtt.connect(`mqtt://127.0.0.1:${fb.port}`, { reconnectPeriod: 0 })
    try {
      await withTimeout(once(c, 'connect'), 5000, 'connect')
      const first = collect(c, 'burst', BURST)
      c.subscribe('#')
      await withTimeout(first, 20000, 'QoS 0 burst')
      const streaming = { adaptive: 'io', js: 'js', io: 'none' }[mode]
      assert.strictEqual(c._native.readThread(), streaming, 'after the burst')

      for (let i = 0; i < 10; i++) {
        const pong = collect(c, 'pong', 1)
        await c.publishAsync('ping', '0', { qos: 1 })
        await withTimeout(pong, 5000, `round trip ${i}`)
      }
      const quiet = { adaptive: 'js', js: 'js', io: 'none' }[mode]
      assert.strictEqual(c._native.readThread(), quiet, 'after the round trips')

      const second = collect(c, 'burst', BURST)
      c.publish('more', '')
      await withTimeout(second, 20000, 'QoS 1 burst')
      const deadline = Date.now() + 5000
      while (pubacks < BURST && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      assert.strictEqual(pubacks, BURST, 'every QoS 1 message acknowledged')
    } finally {
      delete process.env.MQTT_NAPI_READ_THREAD
      await c.endAsync(true)
      await fb.close()
    }
  })
}
