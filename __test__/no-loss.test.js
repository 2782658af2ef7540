'use strict'

// Nothing lost (issue 28): QoS 1/2 messages published across a network partition, against a
// real Mosquitto with its default limits, are each either delivered or failed to their
// callback; none is acknowledged and dropped. Below MQTT 5 a broker that takes fewer
// messages in flight than are sent answers the rest with a plain PUBACK (Mosquitto:
// "quota exceeded", max_inflight_messages 20, counting QoS 2 messages until their PUBREL).
const test = require('node:test')
const assert = require('node:assert')
const { mqtt, upstream } = require('./helpers/impl')
const { startBroker } = require('./helpers/broker')
const { partitionProxy } = require('./helpers/partition-proxy')
const { once, sleep, withTimeout } = require('./helpers/wait')

/**
 * Publishes `total` messages, QoS 1 and 2 in turn, one every `everyMs`, through a proxy that
 * goes dark for `darkMs` after `before` of them; a subscriber connected straight to the broker
 * counts what arrives. Returns the counts.
 */
async function acrossPartition (broker, { total, everyMs, before, darkMs, version = 4 }) {
  const proxy = await partitionProxy(broker.port)
  const lib = mqtt()
  const sub = lib.connect({ host: '127.0.0.1', port: broker.port, clientId: `sub-${process.pid}`, reconnectPeriod: 200 })
  const pub = lib.connect({
    host: '127.0.0.1',
    port: proxy.port,
    protocolVersion: version,
    clientId: `pub-${process.pid}-${version}`,
    clean: false,
    keepalive: 2,
    reconnectPeriod: 200,
    connectTimeout: 2000
  })
  pub.on('error', () => {})
  sub.on('error', () => {})
  const delivered = new Set()
  const acked = new Set()
  const failed = new Map()
  let reconnects = 0
  pub.on('reconnect', () => reconnects++)
  sub.on('message', (_t, payload) => delivered.add(Number(payload.toString())))
  try {
    await withTimeout(Promise.all([once(pub, 'connect'), once(sub, 'connect')]), 5000, 'connect')
    await withTimeout(sub.subscribeAsync('np/#', { qos: 2 }), 5000, 'subscribe')
    const started = Date.now()
    for (let i = 0; i < total; i++) {
      if (i === before) {
        proxy.partition()
        setTimeout(() => proxy.heal(), darkMs)
      }
      pub.publish(`np/${i % 2 ? 'two' : 'one'}`, String(i), { qos: i % 2 ? 2 : 1 }, (err) => {
        if (err) failed.set(i, err.message)
        else acked.add(i)
      })
      await sleep(everyMs)
    }
    const until = Date.now() + 40_000
    while (acked.size + failed.size < total && Date.now() < until) await sleep(50)
    const allDoneMs = Date.now() - started
    // Acknowledged messages still on their way to the subscriber.
    const settle = Date.now() + 5000
    while ([...acked].some((i) => !delivered.has(i)) && Date.now() < settle) await sleep(50)
    const lost = [...acked].filter((i) => !delivered.has(i))
    return { acked: acked.size, failed: failed.size, lost: lost.length, firstLost: lost.slice(0, 5), reconnects, allDoneMs }
  } finally {
    pub.end(true)
    sub.end(true)
    await proxy.close()
  }
}

test('QoS 1/2 across a 4 s partition, Mosquitto\'s defaults: every acknowledged message is delivered', { timeout: 90_000 }, async () => {
  const broker = await startBroker()
  try {
    const r = await acrossPartition(broker, { total: 600, everyMs: 15, before: 100, darkMs: 4000 })
    assert.deepStrictEqual({ lost: r.lost, firstLost: r.firstLost, unanswered: 600 - r.acked - r.failed }, { lost: 0, firstLost: [], unanswered: 0 }, JSON.stringify(r))
    assert.strictEqual(r.failed, 0, JSON.stringify(r))
  } finally {
    await broker.stop()
  }
})

// Issue 28 (2): with max_queued_messages 0, Mosquitto drops the connection of a client
// whose PUBLISH it refuses. The oldest QoS 1 PUBLISH resent before the PUBRELs that free
// the broker's QoS 2 places was refused at every reconnect: 6 of 3,000 acknowledged in 64 s.
test('QoS 1/2 across a partition, Mosquitto with max_queued_messages 0: all acknowledged after one reconnect, none lost', { timeout: 90_000 }, async () => {
  const broker = await startBroker(['max_queued_messages 0'])
  try {
    const r = await acrossPartition(broker, { total: 3000, everyMs: 1, before: 500, darkMs: 4000 })
    assert.deepStrictEqual({ acked: r.acked, lost: r.lost, failed: r.failed }, { acked: 3000, lost: 0, failed: 0 }, JSON.stringify(r))
    assert.ok(r.reconnects <= 3, JSON.stringify(r))
  } finally {
    await broker.stop()
  }
})

// The same burst without a partition: 100 QoS 1/2 messages published at once below MQTT 5.
// MQTT.js writes them all; Mosquitto takes 20 QoS 2 messages until their PUBREL and answers
// what comes past them with "quota exceeded", which a 3.1.1 PUBACK/PUBREC cannot carry: 47
// of 100 acknowledged and lost. README lists the difference (at most 19 QoS 2 in flight).
test('100 QoS 1/2 publishes at once to Mosquitto below MQTT 5: all delivered', { timeout: 30_000, skip: upstream && 'MQTT.js loses the messages past the broker\'s 20 QoS 2 places (README: deliberate differences)' }, async () => {
  const broker = await startBroker()
  const lib = mqtt()
  const sub = lib.connect(broker.url)
  const pub = lib.connect(broker.url)
  try {
    await withTimeout(Promise.all([once(pub, 'connect'), once(sub, 'connect')]), 5000, 'connect')
    await withTimeout(sub.subscribeAsync('burst/#', { qos: 2 }), 5000, 'subscribe')
    const delivered = new Set()
    sub.on('message', (_t, p) => delivered.add(Number(p.toString())))
    const acks = []
    for (let i = 0; i < 100; i++) acks.push(pub.publishAsync('burst/x', String(i), { qos: i % 3 === 0 ? 1 : 2 }))
    await withTimeout(Promise.all(acks), 10_000, 'acks')
    const until = Date.now() + 3000
    while (delivered.size < 100 && Date.now() < until) await sleep(20)
    assert.strictEqual(delivered.size, 100)
  } finally {
    pub.end(true)
    sub.end(true)
    await broker.stop()
  }
})

// Issue 28 (2), its second recipe: the broker killed (kill -9) and restarted while QoS 1/2
// messages are published, Mosquitto with max_queued_messages 0 (it drops a client whose
// PUBLISH it refuses). The resends once came back in one burst and were refused at every
// reconnect (299 reconnects and 106 s where MQTT.js needed 22). The restarted broker has
// no session (no persistence), so only the acks are counted, not deliveries.
test('QoS 1/2 across a broker killed and restarted (max_queued_messages 0): every message acknowledged, few reconnects', { timeout: 90_000 }, async () => {
  let broker = await startBroker(['max_queued_messages 0'])
  const port = broker.port
  const pub = mqtt().connect({ host: '127.0.0.1', port, clientId: `kill-${process.pid}`, clean: false, keepalive: 5, reconnectPeriod: 200, connectTimeout: 2000 })
  pub.on('error', () => {})
  let reconnects = 0
  pub.on('reconnect', () => reconnects++)
  const total = 2000
  let answered = 0
  let failed = 0
  try {
    await withTimeout(once(pub, 'connect'), 5000, 'connect')
    for (let i = 0; i < total; i++) {
      if (i === 400) {
        process.kill(broker.pid, 'SIGKILL')
        await broker.stop()
        setTimeout(async () => { broker = await startBroker(['max_queued_messages 0'], port) }, 1000)
      }
      pub.publish(`kill/${i % 2}`, String(i), { qos: i % 2 ? 2 : 1 }, (err) => { answered++; if (err) failed++ })
      await sleep(2)
    }
    const until = Date.now() + 40_000
    while (answered < total && Date.now() < until) await sleep(50)
    assert.deepStrictEqual({ answered, failed }, { answered: total, failed: 0 }, `${reconnects} reconnects`)
    assert.ok(reconnects <= 10, `${reconnects} reconnects`)
  } finally {
    pub.end(true)
    await broker.stop()
  }
})
