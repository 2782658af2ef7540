'use strict'

// Many clients started together against one server: this package lets a bounded number of
// connection attempts (TCP connect to CONNACK) to one server be in flight at once, so a
// burst does not overflow the server's listen queue (see README, "Many clients at once").
// Against a peer that accepts connections and answers CONNECT only when told to.
const test = require('node:test')
const assert = require('node:assert')
const net = require('node:net')
const { upstream, mqtt: load } = require('./helpers/impl')
const { sleep, withTimeout } = require('./helpers/wait')

const mqtt = load()

/** A peer that holds each CONNECT until `answer()`, then answers every one with CONNACK. */
function startPeer () {
  const sockets = new Set()
  const held = []
  let answering = false
  let most = 0
  const connack = Buffer.from([0x20, 2, 0, 0])
  const server = net.createServer((s) => {
    sockets.add(s)
    most = Math.max(most, sockets.size)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.on('data', (d) => {
      if (d[0] === 0x10) {
        if (answering) s.write(connack)
        else held.push(s)
      }
      if (d[0] === 0xe0) s.end()
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    open: () => sockets.size,
    most: () => most,
    answer: () => {
      answering = true
      for (const s of held.splice(0)) if (!s.destroyed) s.write(connack)
    },
    close: () => new Promise((done) => { for (const s of sockets) s.destroy(); server.close(() => done()) })
  })))
}

test('200 clients started together: at most 64 connection attempts are in flight, and all 200 connect', { timeout: 60000, skip: upstream && 'MQTT.js starts every connection at once (this package bounds them, see README)' }, async () => {
  const peer = await startPeer()
  const clients = []
  try {
    for (let i = 0; i < 200; i++) {
      const c = mqtt.connect(`mqtt://127.0.0.1:${peer.port}`, { reconnectPeriod: 0, connectTimeout: 30000 })
      c.on('error', () => {})
      clients.push(c)
    }
    // The first 64 connect at once; the rest wait for an attempt to end.
    await withTimeout((async () => { while (peer.open() < 64) await sleep(10) })(), 10000, '64 connections')
    await sleep(500)
    assert.strictEqual(peer.open(), 64)
    assert.strictEqual(clients.filter((c) => c.connected).length, 0)
    peer.answer()
    await withTimeout((async () => { while (clients.some((c) => !c.connected)) await sleep(10) })(), 20000, 'every client connected')
    assert.ok(peer.most() <= 200)
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)))
    await peer.close()
  }
})

test('clients waiting to start their connection still time out after connectTimeout, as MQTT.js\'s do', { timeout: 30000 }, async () => {
  const peer = await startPeer()
  const clients = []
  const started = Date.now()
  try {
    const timedOut = []
    for (let i = 0; i < 150; i++) {
      const c = mqtt.connect(`mqtt://127.0.0.1:${peer.port}`, { reconnectPeriod: 0, connectTimeout: 1500 })
      timedOut.push(new Promise((resolve) => c.on('error', (e) => { if (/connack timeout/.test(e.message)) resolve(Date.now() - started) })))
      clients.push(c)
    }
    const times = await withTimeout(Promise.all(timedOut), 15000, 'every client timed out')
    // Every one after its own 1.5 s, none held back a turn (another 1.5 s) at the gate.
    assert.ok(Math.max(...times) < 2900, `slowest timed out after ${Math.max(...times)} ms`)
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)))
    await peer.close()
  }
})
