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

// A Store subclass keeping its own storage (a file or database store: put/get/del/createStream
// overridden, the base class's map never used): MQTT.js reads it at every connect and resends
// what it holds. This package skipped createStream() when the base map was empty: lost messages.
test('a Store subclass with its own storage has its stored PUBLISH resent at connect', { timeout: 20_000 }, async () => {
  const { Readable } = require('node:stream')
  const { Store } = mqtt()
  class OwnStore extends Store {
    constructor () { super(); this.kept = new Map() }
    put (packet, cb) { this.kept.set(packet.messageId, packet); if (cb) cb(); return this }
    get (packet, cb) { const p = this.kept.get(packet.messageId); cb(p ? null : new Error('missing packet'), p); return this }
    del (packet, cb) { const p = this.kept.get(packet.messageId); this.kept.delete(packet.messageId); if (cb) cb(p ? null : new Error('missing packet'), p); return this }
    createStream () { return Readable.from([...this.kept.values()]) }
    close (cb) { if (cb) cb() }
  }
  const store = new OwnStore()
  // What an earlier run of the program left behind.
  store.put({ cmd: 'publish', topic: 'kept/t', payload: Buffer.from('from the store'), qos: 1, messageId: 42, retain: false, dup: false })
  const published = []
  const server = net.createServer((s) => {
    s.on('error', () => {})
    s.on('data', (d) => {
      if (d[0] === 0x10) s.write(Buffer.from([0x20, 2, 0, 0]))
      // A PUBLISH (QoS 1): acknowledge it with its id, after the topic.
      for (let i = 0; i < d.length; i++) {
        if ((d[i] & 0xf0) === 0x30 && d.subarray(i).includes(Buffer.from('kept/t'))) {
          published.push(d.subarray(i).toString('latin1'))
          s.write(Buffer.from([0x40, 2, 0, 42]))
          break
        }
      }
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  let c
  try {
    c = mqtt().connect(`mqtt://127.0.0.1:${server.address().port}`, { reconnectPeriod: 0, outgoingStore: store })
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    const end = Date.now() + 5000
    while ((published.length === 0 || store.kept.size > 0) && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.strictEqual(published.length, 1, 'the stored PUBLISH went out')
    assert.match(published[0], /from the store/)
    assert.strictEqual(store.kept.size, 0, 'its PUBACK removed it from the store')
  } finally {
    c?.end(true)
    await new Promise((resolve) => server.close(resolve))
  }
})

// queueQoSZero: false, offline: MQTT.js calls back with 'No connection to broker'.
test('a QoS 0 publish offline with queueQoSZero false fails with MQTT.js\'s "No connection to broker"', { timeout: 10_000 }, async () => {
  const server = net.createServer((s) => s.destroy())
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const c = mqtt().connect(`mqtt://127.0.0.1:${server.address().port}`, { reconnectPeriod: 0, queueQoSZero: false })
  try {
    const err = await withTimeout(new Promise((resolve) => c.publish('t', 'x', { qos: 0 }, resolve)), 5000, 'callback')
    assert.ok(err instanceof Error, String(err))
    assert.strictEqual(err.message, 'No connection to broker')
  } finally {
    c.end(true)
    await new Promise((resolve) => server.close(resolve))
  }
})

// A PUBACK or PUBREC with a failure reason (MQTT 5): MQTT.js calls back with the error and
// the ack itself (this package gave the stored PUBLISH).
test('a publish refused by its PUBACK or PUBREC (MQTT 5) calls back with the error and that ack', { timeout: 10_000 }, async () => {
  const mqttPacket = require('mqtt-packet')
  const server = net.createServer((s) => {
    s.on('error', () => {})
    const p = mqttPacket.parser({ protocolVersion: 5 })
    p.on('packet', (packet) => {
      if (packet.cmd === 'connect') s.write(mqttPacket.generate({ cmd: 'connack', reasonCode: 0, sessionPresent: false }, { protocolVersion: 5 }))
      if (packet.cmd === 'publish') {
        const cmd = packet.qos === 1 ? 'puback' : 'pubrec'
        s.write(mqttPacket.generate({ cmd, messageId: packet.messageId, reasonCode: 0x87 }, { protocolVersion: 5 }))
      }
    })
    s.on('data', (d) => p.parse(d))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const c = mqtt().connect(`mqtt://127.0.0.1:${server.address().port}`, { protocolVersion: 5, reconnectPeriod: 0 })
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    for (const [qos, cmd] of [[1, 'puback'], [2, 'pubrec']]) {
      const [err, packet] = await withTimeout(new Promise((resolve) => c.publish('t', 'x', { qos }, (...a) => resolve(a))), 5000, `QoS ${qos} callback`)
      assert.strictEqual(err?.code, 0x87, String(err))
      assert.strictEqual(err.message, 'Publish error: Not authorized')
      assert.strictEqual(packet?.cmd, cmd, JSON.stringify(packet))
      assert.strictEqual(packet.reasonCode, 0x87)
    }
  } finally {
    c.end(true)
    await new Promise((resolve) => server.close(resolve))
  }
})

// A Unix socket path nobody listens on: Node's error, as MQTT.js reports it.
test('a missing Unix socket fails with "connect ENOENT <path>", syscall connect, the path as address', { timeout: 10_000 }, async () => {
  const sock = require('node:path').join(require('node:os').tmpdir(), `mqtt-napi-missing-${process.pid}.sock`)
  const c = mqtt().connect(`mqtt+unix://${sock}`, { reconnectPeriod: 0 })
  try {
    const [err] = await withTimeout(once(c, 'error'), 5000, 'error')
    assert.deepStrictEqual({ message: err.message, code: err.code, syscall: err.syscall, address: err.address, errno: err.errno },
      { message: `connect ENOENT ${sock}`, code: 'ENOENT', syscall: 'connect', address: sock, errno: -2 })
  } finally {
    c.end(true)
  }
})

// packetsend for what the client writes by itself, as MQTT.js reports it: its own CONNECT
// (the password as given), acks with their id only (PUBREL at QoS 2), a DISCONNECT without a
// reason code of its own. This package gave the parser's fields and qos 1 on PUBREL.
for (const protocolVersion of [4, 5]) {
  test(`packetsend shows the client's own packets as MQTT.js makes them (MQTT ${protocolVersion === 5 ? 5 : '3.1.1'})`, { timeout: 20_000 }, async () => {
    const { startBroker } = require('./helpers/broker')
    const broker = await startBroker()
    const sent = []
    const c = mqtt().connect({ host: '127.0.0.1', port: broker.port, username: 'u', password: 'secret', clientId: `ps-${protocolVersion}`, protocolVersion, manualConnect: true })
    try {
      c.on('packetsend', (p) => sent.push(p))
      c.connect()
      await withTimeout(once(c, 'connect'), 5000, 'connect')
      await c.subscribeAsync('ps/#', { qos: 2 })
      let n = 0
      const both = new Promise((resolve) => c.on('message', () => { if (++n === 2) resolve() }))
      await Promise.all([c.publishAsync('ps/1', 'a', { qos: 1 }), c.publishAsync('ps/2', 'b', { qos: 2 }), withTimeout(both, 5000, 'messages')])
      await new Promise((resolve) => setTimeout(resolve, 100))
      await c.endAsync()
      const connect = sent.find((p) => p.cmd === 'connect')
      assert.strictEqual(connect.password, 'secret')
      // (In the order of the cmd names: the two flows interleave as the broker answers.)
      const own = sent.filter((p) => !['connect', 'subscribe', 'publish'].includes(p.cmd)).map((p) => ({ ...p, messageId: p.messageId && 'id' }))
      own.sort((a, b) => a.cmd.localeCompare(b.cmd))
      assert.deepStrictEqual(own, [
        { cmd: 'disconnect', messageId: undefined },
        { cmd: 'puback', messageId: 'id', reasonCode: 0 },
        { cmd: 'pubcomp', messageId: 'id' },
        { cmd: 'pubrec', messageId: 'id' },
        { cmd: 'pubrel', qos: 2, messageId: 'id' }
      ])
      assert.strictEqual(sent[sent.length - 1].cmd, 'disconnect')
    } finally {
      c.end(true)
      await broker.stop()
    }
  })
}

// client.stream.address(), as on MQTT.js's socket: the local end of the connection.
test('client.stream.address() gives the local address, family and port, as Node\'s socket does', { timeout: 10_000 }, async () => {
  const seen = []
  const server = net.createServer((s) => {
    seen.push(s.remotePort)
    s.on('error', () => {})
    s.once('data', () => s.write(Buffer.from([0x20, 2, 0, 0])))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const c = mqtt().connect(`mqtt://127.0.0.1:${server.address().port}`, { reconnectPeriod: 0 })
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    assert.deepStrictEqual(c.stream.address(), { address: '127.0.0.1', family: 'IPv4', port: seen[0] })
    assert.strictEqual(c.stream.remotePort, server.address().port)
  } finally {
    c.end(true)
    await new Promise((resolve) => server.close(resolve))
  }
})
