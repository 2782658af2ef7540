'use strict'

// Event sequences, event by event, as MQTT.js 5.16 emits them (issue 14, item 4): connect
// timeout, a broker drop and the reconnect, a peer's DISCONNECT followed by a FIN or a reset,
// reconnect() while connected, and the offline queue against the resubscription after a
// reconnect. The expected lists were read from MQTT.js (MQTT_IMPL=mqtt runs the same tests on it).

const test = require('node:test')
const assert = require('node:assert')
const impl = require('./helpers/impl')
const { fakeBroker } = require('./helpers/fake-broker')
const { once, sleep, withTimeout } = require('./helpers/wait')

const mqtt = impl.mqtt()

const EVENTS = ['connect', 'reconnect', 'close', 'offline', 'error', 'end', 'disconnect']

/** Records the client's events, and what the broker received, in one list. */
function recorder (c) {
  const log = []
  for (const e of EVENTS) {
    c.on(e, (x) => {
      if (e === 'error') log.push(`error:${x.code ?? x.message}`)
      else if (e === 'disconnect') log.push(`disconnect:${x.reasonCode}`)
      else log.push(e)
    })
  }
  return log
}

/** Waits until `pred()` holds, at most `ms`. */
async function until (pred, ms, what) {
  const deadline = Date.now() + ms
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await sleep(10)
  }
}

const connack = (conn, version = 4) => conn.send(version === 5
  ? { cmd: 'connack', reasonCode: 0, sessionPresent: false }
  : { cmd: 'connack', returnCode: 0, sessionPresent: false })

test('connect timeout: offline, error "connack timeout", close, then reconnect every reconnectPeriod', { timeout: 20000 }, async () => {
  const fb = await fakeBroker(() => {}) // never answers
  const c = mqtt.connect({ host: '127.0.0.1', port: fb.port, connectTimeout: 200, reconnectPeriod: 300 })
  const log = recorder(c)
  try {
    await until(() => log.filter((e) => e === 'close').length >= 2, 5000, 'two closes')
    assert.deepStrictEqual(log.slice(0, 6), ['offline', 'error:connack timeout', 'close', 'reconnect', 'error:connack timeout', 'close'])
    assert.strictEqual(c.connected, false)
  } finally {
    c.end(true)
    await fb.close()
  }
})

test('broker drop: offline and close, then reconnect and connect again', { timeout: 20000 }, async () => {
  let n = 0
  const fb = await fakeBroker((p, conn) => {
    if (p.cmd !== 'connect') return
    connack(conn)
    if (++n === 1) setTimeout(() => conn.destroy(), 50)
  })
  const c = mqtt.connect({ host: '127.0.0.1', port: fb.port, reconnectPeriod: 200 })
  const log = recorder(c)
  try {
    await until(() => log.filter((e) => e === 'connect').length >= 2, 5000, 'second connect')
    assert.deepStrictEqual(log, ['connect', 'offline', 'close', 'reconnect', 'connect'])
    assert.strictEqual(c.connected, true)
  } finally {
    c.end(true)
    await fb.close()
  }
})

for (const how of ['FIN', 'reset']) {
  test(`MQTT 5: the broker's DISCONNECT then a ${how}: disconnect, close at once, connected false (reconnectPeriod 0: no offline)`, { timeout: 20000 }, async () => {
    const fb = await fakeBroker((p, conn) => {
      if (p.cmd !== 'connect') return
      connack(conn, 5)
      setTimeout(() => {
        conn.send({ cmd: 'disconnect', reasonCode: 0x8b })
        setTimeout(() => (how === 'FIN' ? conn.socket.end() : conn.socket.resetAndDestroy()), 30)
      }, 50)
    }, { version: 5 })
    const c = mqtt.connect({ host: '127.0.0.1', port: fb.port, protocolVersion: 5, reconnectPeriod: 0 })
    const log = recorder(c)
    try {
      await withTimeout(once(c, 'close'), 5000, 'close without any write from the client')
      assert.strictEqual(c.connected, false)
      await sleep(100)
      assert.deepStrictEqual(log.filter((e) => !e.startsWith('error')), ['connect', 'disconnect:139', 'close'])
      if (how === 'FIN') assert.deepStrictEqual(log.filter((e) => e.startsWith('error')), [])
    } finally {
      c.end(true)
      await fb.close()
    }
  })
}

test('reconnect() while connected: DISCONNECT first (no will), then reconnect, close, end, connect', { timeout: 20000 }, async () => {
  const fb = await fakeBroker((p, conn) => { if (p.cmd === 'connect') connack(conn) })
  const c = mqtt.connect({ host: '127.0.0.1', port: fb.port, reconnectPeriod: 5000, will: { topic: 'w', payload: 'gone', qos: 0, retain: false } })
  const log = recorder(c)
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    c.reconnect()
    await until(() => log.filter((e) => e === 'connect').length >= 2, 5000, 'second connect')
    assert.deepStrictEqual(log, ['connect', 'reconnect', 'close', 'end', 'connect'])
    const first = fb.connections[0].packets.map((p) => p.cmd)
    assert.deepStrictEqual(first, ['connect', 'disconnect'])
    assert.strictEqual(fb.connections.length, 2)
  } finally {
    c.end(true)
    await fb.close()
  }
})

test('after a reconnect the offline queue goes before the resubscription', { timeout: 20000 }, async () => {
  let n = 0
  const fb = await fakeBroker((p, conn) => {
    if (p.cmd === 'connect') {
      connack(conn)
      if (++n === 1) setTimeout(() => conn.destroy(), 150)
    } else if (p.cmd === 'subscribe') {
      conn.send({ cmd: 'suback', messageId: p.messageId, granted: [1] })
    } else if (p.cmd === 'publish' && p.qos === 1) {
      conn.send({ cmd: 'puback', messageId: p.messageId })
    }
  })
  const c = mqtt.connect({ host: '127.0.0.1', port: fb.port, reconnectPeriod: 300 })
  const log = recorder(c)
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    await withTimeout(c.subscribeAsync('t/a', { qos: 1 }), 5000, 'subscribe')
    await withTimeout(once(c, 'offline'), 5000, 'offline')
    const sent = c.publishAsync('t/b', 'queued', { qos: 1 })
    await withTimeout(sent, 5000, 'the queued publish is acked after the reconnect')
    await until(() => fb.connections.length === 2 && fb.connections[1].packets.some((p) => p.cmd === 'subscribe'), 5000, 'resubscribe')
    const second = fb.connections[1].packets.map((p) => (p.cmd === 'publish' ? `publish:${p.topic}` : p.cmd))
    assert.deepStrictEqual(second, ['connect', 'publish:t/b', 'subscribe'])
    assert.deepStrictEqual(log, ['connect', 'offline', 'close', 'reconnect', 'connect'])
  } finally {
    c.end(true)
    await fb.close()
  }
})

test('the connect timeout runs on JS timers, as MQTT.js: a test\'s fake timers drive it', { timeout: 20000, skip: impl.noMockTimers }, async (t) => {
  const fb = await fakeBroker(() => {}) // never answers
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const c = mqtt.connect({ host: '127.0.0.1', port: fb.port, connectTimeout: 8000, reconnectPeriod: 0 })
  try {
    const failed = once(c, 'error')
    await new Promise((resolve) => setImmediate(resolve)) // (not faked)
    t.mock.timers.tick(8000)
    t.mock.timers.reset()
    const [err] = await withTimeout(failed, 2000, 'connack timeout at once, not 8 s later')
    assert.strictEqual(err.message, 'connack timeout')
  } finally {
    c.end(true)
    await fb.close()
  }
})
