'use strict'

// What a program could still tell apart from MQTT.js (issue 29), one recipe per test, each
// passing on MQTT.js too (MQTT_IMPL=mqtt).
const test = require('node:test')
const assert = require('node:assert')
const net = require('node:net')
const { mqtt } = require('./helpers/impl')
const { once, withTimeout } = require('./helpers/wait')

// Brokers that speak only 3.1.1 (aedes, older ones) answer a level-5 CONNECT with the 3.1.1
// CONNACK `20 02 00 01`. MQTT.js reports the refusal (code 1), which programs use to fall
// back to 3.1.1; this package said "packet too short for property length".
test('an MQTT 5 client refused by a 3.1.1-only broker gets "Unacceptable protocol version" (code 1), and can fall back', { timeout: 20_000 }, async () => {
  const levels = []
  const server = net.createServer((s) => {
    s.on('error', () => {})
    s.once('data', (d) => {
      // CONNECT: fixed header, remaining length (short here), protocol name (2 + 4), level.
      const level = d[2 + 2 + 4]
      levels.push(level)
      if (level === 5) s.end(Buffer.from([0x20, 2, 0, 1]))
      else s.write(Buffer.from([0x20, 2, 0, 0]))
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `mqtt://127.0.0.1:${server.address().port}`
  try {
    const c = mqtt().connect(url, { protocolVersion: 5, reconnectPeriod: 0 })
    const [err] = await withTimeout(once(c, 'error'), 5000, 'error')
    assert.strictEqual(err.message, 'Connection refused: Unacceptable protocol version')
    assert.strictEqual(err.code, 1)
    c.end(true)
    // The fall-back a program makes on it.
    const v4 = mqtt().connect(url, { protocolVersion: 4, reconnectPeriod: 0 })
    await withTimeout(once(v4, 'connect'), 5000, 'connect at 3.1.1')
    await v4.endAsync()
    assert.deepStrictEqual(levels, [5, 4])
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})
