'use strict'

// Nothing stuck (issue 28): a peer's close is seen at once however it arrives (right behind
// data, a reset in the same tick as a DISCONNECT), and what a client gave up on does not
// happen later. Each recipe is one a user hit; every test passes on MQTT.js too
// (MQTT_IMPL=mqtt), except where README lists the difference.
const test = require('node:test')
const assert = require('node:assert')
const net = require('node:net')
const path = require('node:path')
const { execFile } = require('node:child_process')
const mqttPacket = require('mqtt-packet')
const { mqtt, upstream } = require('./helpers/impl')
const { sleep, withTimeout } = require('./helpers/wait')

const CHILD = path.join(__dirname, 'helpers', 'churn-child.js')

function listen (server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

function closeServer (server, sockets) {
  for (const s of sockets) s.destroy()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** A scripted peer on loopback: `onSocket(s)` for each connection (socket errors ignored). */
async function startPeer (onSocket) {
  const sockets = new Set()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onSocket(s)
  })
  const port = await listen(server)
  return { port, sockets, close: () => closeServer(server, sockets) }
}

function runChild (args, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()))
    })
  })
}

// Issue 28 (4): a CONNACK written as the connection is accepted, and the socket destroyed
// 0-20 ms later. The reset often arrived right behind the CONNACK, and the JS-thread read
// took the CONNACK and missed the reset (libuv reports a socket error once): the client sat
// 'connected' for 31 s, until the native CONNACK deadline.
for (const mode of ['default', 'js']) {
  test(`5 clients whose peer resets each connection 0-20 ms after its CONNACK never wait over 1 s (20 s, read mode: ${mode})`, { timeout: 60_000, skip: upstream && mode !== 'default' && 'read modes are this package\'s' }, async () => {
    const peer = await startPeer((s) => {
      s.write(Buffer.from([0x20, 2, 0, 0]))
      setTimeout(() => s.destroy(), Math.random() * 20)
    })
    try {
      const env = mode === 'default' ? {} : { MQTT_NAPI_READ_THREAD: mode }
      const clients = await runChild([CHILD, 'churn', String(peer.port), '20'], env)
      for (const [i, c] of clients.entries()) {
        // MQTT.js: about 500 connects in 10 s each; the stall took 31 s.
        assert.ok(c.longestGapMs < 1000, `client ${i}: ${c.longestGapMs} ms without an event (${c.connects} connects)`)
        assert.ok(c.connects >= 200, `client ${i}: ${c.connects} connects in 20 s`)
      }
    } finally {
      await peer.close()
    }
  })
}

// Issue 28 (3): an MQTT 5 DISCONNECT (0x95) and a reset in the same tick. MQTT.js emits
// disconnect, offline, close, reconnect, connect; the DISCONNECT arriving with the reset
// once hid the reset, and the client stayed 'connected'.
test('a DISCONNECT followed in the same tick by a reset: the client sees the close and reconnects', { timeout: 20_000 }, async () => {
  let accepted = 0
  const peer = await startPeer((s) => {
    const n = ++accepted
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    parser.on('packet', (p) => {
      if (p.cmd !== 'connect') return
      s.write(mqttPacket.generate({ cmd: 'connack', reasonCode: 0, sessionPresent: false }, { protocolVersion: 5 }))
      if (n === 1) {
        setTimeout(() => {
          s.write(mqttPacket.generate({ cmd: 'disconnect', reasonCode: 0x95 }, { protocolVersion: 5 }))
          s.resetAndDestroy()
        }, 100)
      }
    })
    s.on('data', (d) => parser.parse(d))
  })
  const c = mqtt().connect({ host: '127.0.0.1', port: peer.port, protocolVersion: 5, reconnectPeriod: 300 })
  const events = []
  for (const e of ['connect', 'disconnect', 'offline', 'close', 'reconnect']) c.on(e, () => events.push(e))
  c.on('error', () => {})
  try {
    const until = Date.now() + 3000
    while (events.filter((e) => e === 'connect').length < 2 && Date.now() < until) await sleep(20)
    assert.deepStrictEqual(events, ['connect', 'disconnect', 'offline', 'close', 'reconnect', 'connect'])
  } finally {
    c.end(true)
    await peer.close()
  }
})

// Issue 28 (7): a callback that is not a function. MQTT.js throws 'cb is not a function' at
// the call for QoS 0 while connected; stored with a QoS 1 message it threw later, uncaught,
// from the ack (here `list[k].cb is not a function`, from end()).
test('publish with a callback that is not a function throws a TypeError at the call (QoS 0, connected)', { timeout: 10_000 }, async () => {
  const peer = await startPeer((s) => {
    s.on('data', (d) => { if (d[0] === 0x10) s.write(Buffer.from([0x20, 2, 0, 0])) })
  })
  const c = mqtt().connect({ host: '127.0.0.1', port: peer.port, reconnectPeriod: 0 })
  try {
    await new Promise((resolve) => c.once('connect', resolve))
    assert.throws(() => c.publish('t', 'm', {}, 'str'), { name: 'TypeError', message: 'cb is not a function' })
    assert.throws(() => c.publish('t', 'm', { qos: 0 }, {}), { name: 'TypeError', message: 'cb is not a function' })
    // The client is still usable, and ending it does not throw.
    await new Promise((resolve, reject) => c.publish('t', 'ok', (err) => err ? reject(err) : resolve()))
  } finally {
    await new Promise((resolve) => c.end(true, resolve))
    await peer.close()
  }
})

test('publish with a callback that is not a function throws at the call at QoS 1 and offline too', { skip: upstream && 'MQTT.js throws later, uncaught (README: deliberate differences)' }, async () => {
  const c = mqtt().connect({ host: '127.0.0.1', port: 1, reconnectPeriod: 0 })
  c.on('error', () => {})
  try {
    assert.throws(() => c.publish('t', 'm', { qos: 1 }, 5), { name: 'TypeError', message: 'cb is not a function' })
    assert.throws(() => c.publish('t', 'm', {}, 'str'), { name: 'TypeError', message: 'cb is not a function' })
  } finally {
    await new Promise((resolve) => c.end(true, resolve))
  }
})

// Issue 28 (8): a CONNACK claiming 256 MiB was read in full before it was refused (312 MB
// peak). Below MQTT 5 a CONNACK is two bytes: a claim of more is refused from the fixed
// header, and any packet past the client's maximum packet size (64 MiB by default) too.
// MQTT.js waits for the whole claimed length.
test('a CONNACK claiming 1 MiB is refused from its fixed header (below MQTT 5 it has two bytes)', { timeout: 10_000, skip: upstream && 'MQTT.js buffers the whole claimed length (README: deliberate differences)' }, async () => {
  const peer = await startPeer((s) => {
    s.on('data', (d) => {
      if (d[0] !== 0x10) return
      s.write(Buffer.from([0x20, 0x80, 0x80, 0x40]))
      s.write(Buffer.alloc(64 * 1024))
    })
  })
  const c = mqtt().connect({ host: '127.0.0.1', port: peer.port, reconnectPeriod: 0 })
  try {
    const err = await new Promise((resolve) => {
      c.once('error', resolve)
      setTimeout(() => resolve(null), 3000)
    })
    assert.ok(err, 'no error within 3 s')
    assert.match(err.message, /connack must have a remaining length of 2/)
  } finally {
    c.end(true)
    await peer.close()
  }
})

test('a PUBLISH past the default maximum packet size (64 MiB) is refused from its fixed header; maxPacketSize raises it', { timeout: 10_000, skip: upstream && 'MQTT.js has no limit (README: deliberate differences)' }, async () => {
  // A PUBLISH claiming 80 MiB, of which only the first 64 KiB come.
  const claim = [0x30, 0x80, 0x80, 0x80, 0x28]
  const peer = await startPeer((s) => {
    s.on('data', (d) => {
      if (d[0] !== 0x10) return
      s.write(Buffer.from([0x20, 2, 0, 0]))
      s.write(Buffer.concat([Buffer.from(claim), Buffer.from([0, 1, 0x74]), Buffer.alloc(64 * 1024)]))
    })
  })
  const errorWithin = (c, ms) => new Promise((resolve) => {
    c.once('error', resolve)
    setTimeout(() => resolve(null), ms)
  })
  const lib = mqtt()
  const c = lib.connect({ host: '127.0.0.1', port: peer.port, reconnectPeriod: 0 })
  const raised = lib.connect({ host: '127.0.0.1', port: peer.port, reconnectPeriod: 0, maxPacketSize: 128 * 1024 * 1024 })
  try {
    const err = await errorWithin(c, 3000)
    assert.ok(err, 'no error within 3 s')
    // MQTT.js's words and code (0x95) for a packet over maximumPacketSize.
    assert.strictEqual(err.code, 149)
    assert.match(err.message, /exceeding packets size publish: 83886085 bytes, maximumPacketSize is 67108864/)
    assert.strictEqual(await errorWithin(raised, 1000), null)
  } finally {
    c.end(true)
    raised.end(true)
    await peer.close()
  }
})

// Issue 28 (5): clients whose connect timeout passed while their attempt waited at the
// opening gate connected later (100 clients, reconnectPeriod 0: 34 connections and 19
// CONNECTs after every client had emitted close). The JS thread runs the clients' timers one
// by one; each drop of a connection that held the gate let a waiting attempt through on the
// I/O thread before that attempt's own timer had run. Recipe made certain: 64 clients fill
// the gate (at first 64 wide) and time out at 1 s, 36 more wait behind them and time out at
// 1.005 s, and the event loop is busy from 0.5 s to 1.5 s, so that all the timers are due
// when it comes back. No connection may open after that.
test('attempts still waiting at the opening gate when their connect timeout passes are never opened', { timeout: 30_000 }, async () => {
  let busyOver = false
  let late = 0
  let connects = 0
  const peer = await startPeer((s) => {
    if (busyOver) late++
    s.on('data', (d) => { if (d[0] === 0x10) connects++ })
  })
  const lib = mqtt()
  const clients = []
  const closed = []
  for (let i = 0; i < 100; i++) {
    const c = lib.connect({ host: '127.0.0.1', port: peer.port, reconnectPeriod: 0, connectTimeout: i < 64 ? 1000 : 1005 })
    c.on('error', () => {})
    closed.push(new Promise((resolve) => c.once('close', resolve)))
    clients.push(c)
  }
  try {
    await sleep(500)
    const until = Date.now() + 1000
    while (Date.now() < until) { /* the event loop is busy */ }
    // Every connection that should open did at the start: any accepted from now on was
    // opened after the timeouts (which run once this function yields).
    busyOver = true
    await withTimeout(Promise.all(closed), 10_000, 'every client closed')
    await sleep(1000)
    assert.strictEqual(late, 0, `${late} connections opened after the clients' timeouts (${peer.sockets.size} in all, ${connects} CONNECTs)`)
  } finally {
    for (const c of clients) c.end(true)
    await peer.close()
  }
})
