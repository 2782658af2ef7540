'use strict'

// ws://, wss:// and Unix sockets against this package's own servers (Debian's Mosquitto has
// no WebSocket listener): createWebSocketServer (the `ws` package) and createServer on a
// socket file, serving the relay of helpers/relay.js. MQTT_IMPL=mqtt runs the same client
// tests on MQTT.js.

const test = require('node:test')
const { once, withTimeout, resendsAfterDrop } = require('./helpers/wait')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const impl = require('./helpers/impl')
const { makeCerts } = require('./helpers/certs')
const { relay } = require('./helpers/relay')

const root = path.join(__dirname, '..')
const server = require(root) // the servers are this package's in both runs
const mqtt = impl.mqtt()


/** A relay over WebSocket that records each upgrade request. */
async function wsRelay (opts = {}) {
  const requests = []
  const srv = relay((listener) => server.createWebSocketServer(opts, (client) => {
    requests.push(client.request)
    listener(client)
  }))
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return { srv, port: srv.address().port, requests, close: () => new Promise((resolve) => srv.close(resolve)) }
}

async function roundTrip (url, opts = {}) {
  const c = typeof url === 'string' ? mqtt.connect(url, { reconnectPeriod: 0, ...opts }) : mqtt.connect({ reconnectPeriod: 0, ...url, ...opts })
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    for (const qos of [0, 1, 2]) {
      await withTimeout(c.subscribeAsync(`ws/${qos}`, { qos }), 5000, 'subscribe')
      const got = once(c, 'message')
      await withTimeout(c.publishAsync(`ws/${qos}`, Buffer.alloc(3000 + qos, qos), { qos }), 5000, 'publish')
      const [topic, payload, packet] = await withTimeout(got, 5000, 'message')
      assert.deepStrictEqual([topic, payload.length, packet.qos], [`ws/${qos}`, 3000 + qos, qos])
    }
  } finally {
    await c.endAsync()
  }
}

test('ws:// with the default path /mqtt, the mqtt subprotocol and extra headers: messages at QoS 0, 1, 2', async () => {
  const r = await wsRelay()
  try {
    await roundTrip(`ws://127.0.0.1:${r.port}/mqtt`, { wsOptions: { headers: { 'x-device': 'd-1' } } })
    const req = r.requests[0]
    assert.strictEqual(req.url, '/mqtt')
    assert.strictEqual(req.headers['sec-websocket-protocol'], 'mqtt')
    assert.strictEqual(req.headers['x-device'], 'd-1')
  } finally {
    await r.close()
  }
})

test('ws:// options form: path defaults to / (as MQTT.js); MQTT 3.1 offers the mqttv3.1 subprotocol', async () => {
  const r = await wsRelay()
  try {
    await roundTrip({ protocol: 'ws', host: '127.0.0.1', port: r.port })
    await roundTrip({ protocol: 'ws', host: '127.0.0.1', port: r.port, path: '/other', protocolId: 'MQIsdp', protocolVersion: 3 })
    assert.deepStrictEqual(r.requests.map((q) => [q.url, q.headers['sec-websocket-protocol']]), [['/', 'mqtt'], ['/other', 'mqttv3.1']])
  } finally {
    await r.close()
  }
})

test('client.stream.url is the WebSocket URL of the connection (as MQTT.js\'s WebSocket stream); servers rotate it', async () => {
  const a = await wsRelay()
  const b = await wsRelay()
  const c = mqtt.connect({ protocol: 'ws', servers: [{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port, protocol: 'ws' }], path: '/mqtt', reconnectPeriod: 50 })
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    assert.strictEqual(c.stream.url, `ws://127.0.0.1:${a.port}/mqtt`)
    await a.close()
    c.stream.destroy()
    await withTimeout(once(c, 'connect'), 5000, 'reconnect to the second server')
    assert.strictEqual(c.stream.url, `ws://127.0.0.1:${b.port}/mqtt`)
  } finally {
    await c.endAsync()
    await b.close()
  }
})

test('wss:// with the TLS options (ca, servername)', async () => {
  const certs = makeCerts()
  const r = await wsRelay({ key: certs.key, cert: certs.cert })
  try {
    await roundTrip(`wss://localhost:${r.port}/mqtt`, { ca: certs.ca })
    const bad = mqtt.connect(`wss://localhost:${r.port}/mqtt`, { ca: certs.otherCa, reconnectPeriod: 0 })
    const [err] = await withTimeout(once(bad, 'error'), 5000, 'TLS error')
    assert.match(err.code, /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT/)
    bad.end(true)
  } finally {
    await r.close()
    certs.remove()
  }
})

test('a failed WebSocket upgrade (wrong path) is an error, not a hang', { skip: impl.upstream && 'MQTT.js 5.16 only closes, with no error event' }, async () => {
  const r = await wsRelay({ path: '/mqtt' })
  try {
    const c = mqtt.connect(`ws://127.0.0.1:${r.port}/nope`, { reconnectPeriod: 0 })
    const [err] = await withTimeout(once(c, 'error'), 5000, 'error')
    assert.ok(err instanceof Error)
    c.end(true)
  } finally {
    await r.close()
  }
})

test('reconnect over WebSocket resends an unacknowledged QoS 1 publish', async () => {
  const r = await wsRelay()
  const url = `ws://127.0.0.1:${r.port}/mqtt`
  try {
    await resendsAfterDrop(mqtt.connect(url, { reconnectPeriod: 200 }), mqtt.connect(url, { reconnectPeriod: 0 }), 'ws/resend')
  } finally {
    await r.close()
  }
})

test('Unix socket: mqtt+unix:// and { unixSocket: true, path }', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-unix-'))
  const sock = path.join(dir, 'broker.sock')
  const srv = relay(server.createServer)
  srv.listen(sock)
  await once(srv, 'listening')
  try {
    await roundTrip(`mqtt+unix://${sock}`)
    // MQTT.js needs `protocol` here (without it, it throws reading opts.protocol).
    await roundTrip({ unixSocket: true, path: sock, protocol: 'mqtt' })
    const missing = mqtt.connect({ unixSocket: true, path: path.join(dir, 'missing.sock'), protocol: 'mqtt', reconnectPeriod: 0 })
    const [err] = await withTimeout(once(missing, 'error'), 5000, 'error')
    assert.strictEqual(err.code, 'ENOENT')
    missing.end(true)
  } finally {
    await new Promise((resolve) => srv.close(resolve))
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('createWebsocket(url, subprotocols, options) makes the WebSocket, as MQTT.js', async () => {
  const r = await wsRelay()
  const made = []
  const opts = {
    protocol: 'ws',
    host: '127.0.0.1',
    port: r.port,
    path: '/mqtt',
    reconnectPeriod: 0,
    createWebsocket: (u, protocols, o) => {
      made.push([u, protocols, o === opts])
      return new (require('ws').WebSocket)(u, [...protocols, 'custom'])
    }
  }
  const c = mqtt.connect(opts)
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    assert.deepStrictEqual(made, [[`ws://127.0.0.1:${r.port}/mqtt`, ['mqtt'], true]])
    assert.strictEqual(r.requests[0].headers['sec-websocket-protocol'], 'mqtt,custom')
    assert.strictEqual(c.stream.url, `ws://127.0.0.1:${r.port}/mqtt`)
  } finally {
    await c.endAsync()
    await r.close()
  }
})

test('transformWsUrl is called before every connection and its URL is used', async () => {
  const r = await wsRelay({ path: '/signed' })
  const calls = []
  const clients = []
  const url = `ws://127.0.0.1:${r.port}/mqtt`
  const c = mqtt.connect(url, {
    reconnectPeriod: 100,
    transformWsUrl: (u, opts, client) => {
      calls.push(u)
      assert.strictEqual(typeof opts, 'object')
      clients.push(client)
      return `ws://127.0.0.1:${r.port}/signed?n=${calls.length}`
    }
  })
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    c.stream.destroy()
    await withTimeout(once(c, 'connect'), 5000, 'reconnect')
    assert.ok(calls.length >= 2, `called ${calls.length} times`)
    assert.strictEqual(calls[0], url)
    assert.ok(clients.every((x) => x === c), 'called with the client')
    assert.deepStrictEqual(r.requests.slice(0, 2).map((q) => q.url), ['/signed?n=1', '/signed?n=2'])
    assert.strictEqual(c.stream.url, `ws://127.0.0.1:${r.port}/signed?n=2`)
    await c.subscribeAsync('ws/t', { qos: 1 })
    const got = once(c, 'message')
    await c.publishAsync('ws/t', 'signed', { qos: 1 })
    assert.strictEqual((await withTimeout(got, 5000, 'message'))[1].toString(), 'signed')
  } finally {
    await c.endAsync()
    await r.close()
  }
})
