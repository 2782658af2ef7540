'use strict'

// The server-side API: MqttConnection, createConnection, createServer, createSecureServer.
// MQTT_IMPL=mqtt runs the same tests on the `mqtt-connection` package (see
// helpers/server-impl.js); tests marked ours-only check defects of it that we fix.

const test = require('node:test')
const { once, sleep, withTimeout } = require('./helpers/wait')
const assert = require('node:assert')
const net = require('node:net')
const tls = require('node:tls')
const { PassThrough, Duplex } = require('node:stream')
const path = require('node:path')
const api = require('./helpers/server-impl')
const { upstream } = require('./helpers/impl')
const { startBroker } = require('./helpers/broker')
const { makeCerts } = require('./helpers/certs')
const { relay } = require('./helpers/relay')

const ours = require(path.join(__dirname, '..'))
const mqttjs = require('mqtt')

const listen = async (server) => {
  server.sockets = new Set()
  server.on('connection', (s) => server.sockets.add(s))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server.address().port
}
// Closes the server and whatever connections a failed test left open.
const closeServer = (server) => new Promise((resolve) => {
  server.close(resolve)
  for (const s of server.sockets || []) s.destroy()
})

/** Two clients (ours and MQTT.js) exchange one message each way at each QoS. */
async function exchange (url, opts = {}) {
  const a = opts.skipOurs ? null : ours.connect(url, { reconnectPeriod: 0, ...opts.ours })
  const b = mqttjs.connect(url, { reconnectPeriod: 0, ...opts.mqttjs })
  await withTimeout(Promise.all([a && once(a, 'connect'), once(b, 'connect')]), 5000, 'connect')
  const pairs = a ? [[a, b], [b, a]] : [[b, b]]
  try {
    for (const [from, to] of pairs) {
      for (const qos of [0, 1, 2]) {
        const topic = `relay/${qos}`
        await withTimeout(to.subscribeAsync(topic, { qos }), 5000, 'subscribe')
        const got = once(to, 'message')
        await withTimeout(from.publishAsync(topic, `hello ${qos}`, { qos }), 5000, 'publish')
        const [t, payload, packet] = await withTimeout(got, 5000, `message at QoS ${qos}`)
        assert.strictEqual(t, topic)
        assert.strictEqual(payload.toString(), `hello ${qos}`)
        assert.strictEqual(packet.qos, qos)
        await withTimeout(to.unsubscribeAsync(topic), 5000, 'unsubscribe')
      }
    }
  } finally {
    await Promise.all([a && a.endAsync(), b.endAsync()])
  }
}

test('createServer relay: this package\'s MqttClient and MQTT.js exchange messages at QoS 0, 1 and 2', async () => {
  const server = relay(api.createServer)
  assert.ok(server instanceof net.Server)
  const port = await listen(server)
  try {
    await exchange(`mqtt://127.0.0.1:${port}`)
  } finally {
    await closeServer(server)
  }
})

test('createSecureServer relay over TLS with a key and certificate made by the test', async () => {
  const certs = makeCerts()
  // The early-MQTT.js form takes paths; the upstream wrapper takes TLS options.
  const server = relay((listener) => upstream
    ? api.createSecureServer({ key: certs.key, cert: certs.cert }, listener)
    : api.createSecureServer(certs.keyPath, certs.certPath, listener))
  assert.ok(server instanceof tls.Server)
  const port = await listen(server)
  try {
    // This package's client speaks TLS with the transports work; MQTT.js talks to both
    // ends here, and a raw MqttConnection over tls.connect checks the server's framing.
    await exchange(`mqtts://127.0.0.1:${port}`, { skipOurs: true, mqttjs: { ca: certs.ca, servername: 'localhost' } })
    const socket = tls.connect({ port, host: '127.0.0.1', ca: certs.ca, servername: 'localhost' })
    await once(socket, 'secureConnect')
    const conn = new api.MqttConnection(socket)
    conn.connect({ clientId: 'raw-tls', protocolVersion: 4, keepalive: 10 })
    const [connack] = await withTimeout(once(conn, 'connack'), 5000, 'connack')
    assert.strictEqual(connack.returnCode, 0)
    conn.pingreq()
    await withTimeout(once(conn, 'pingresp'), 5000, 'pingresp')
    conn.destroy()
  } finally {
    await closeServer(server)
    certs.remove()
  }
})

test('createSecureServer accepts TLS options (key, cert) as modern code passes them', async () => {
  const certs = makeCerts()
  const server = relay((listener) => api.createSecureServer({ key: certs.key, cert: certs.cert }, listener))
  const port = await listen(server)
  try {
    await exchange(`mqtts://127.0.0.1:${port}`, { skipOurs: true, mqttjs: { ca: certs.ca, servername: 'localhost' } })
  } finally {
    await closeServer(server)
    certs.remove()
  }
})

for (const protocolVersion of [3, 4]) {
  test(`createConnection talks to Mosquitto at protocol level ${protocolVersion}: connect, subscribe, publish, pingreq, disconnect`, async () => {
    const broker = await startBroker()
    try {
      const conn = api.createConnection(broker.port, '127.0.0.1')
      await withTimeout(once(conn, 'connected'), 5000, 'connected')
      conn.connect({ protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT', protocolVersion, clientId: `raw-${protocolVersion}`, keepalive: 30, clean: true })
      const [connack] = await withTimeout(once(conn, 'connack'), 5000, 'connack')
      assert.strictEqual(connack.returnCode, 0)
      assert.strictEqual(connack.cmd, 'connack')
      conn.subscribe({ messageId: 1, subscriptions: [{ topic: 'raw/+', qos: 1 }] })
      const [suback] = await withTimeout(once(conn, 'suback'), 5000, 'suback')
      assert.deepStrictEqual(suback.granted, [1])
      conn.publish({ topic: 'raw/a', payload: 'hi', qos: 1, messageId: 2 })
      const [[puback], [publish]] = await withTimeout(Promise.all([once(conn, 'puback'), once(conn, 'publish')]), 5000, 'puback and publish')
      assert.strictEqual(puback.messageId, 2)
      assert.strictEqual(publish.topic, 'raw/a')
      assert.strictEqual(publish.payload.toString(), 'hi')
      // The fixed-header fields are on every packet object.
      assert.strictEqual(publish.cmd, 'publish')
      assert.strictEqual(publish.qos, 1)
      assert.strictEqual(publish.dup, false)
      assert.strictEqual(publish.retain, false)
      assert.strictEqual(publish.length, 2 + 5 + 2 + 2)
      conn.puback({ messageId: publish.messageId })
      conn.pingreq()
      await withTimeout(once(conn, 'pingresp'), 5000, 'pingresp')
      conn.disconnect()
      await withTimeout(once(conn, 'close'), 5000, 'close after disconnect')
    } finally {
      await broker.stop()
    }
  })
}

test('createConnection with a callback reports a refused connection to it', { skip: upstream && 'the wrapper above has no error path' }, async () => {
  const server = net.createServer()
  const port = await listen(server)
  await closeServer(server)
  const [err] = await withTimeout(new Promise((resolve) => api.createConnection(port, '127.0.0.1', (...a) => resolve(a))), 5000, 'callback')
  assert.strictEqual(err.code, 'ECONNREFUSED')
})

test('MQTT 5 over a connection pair: properties and reason codes on every packet, level learnt from CONNECT', async () => {
  const server = api.createServer()
  const port = await listen(server)
  const seen = {}
  server.on('client', (c) => {
    c.on('error', () => c.destroy())
    c.on('connect', (p) => {
      seen.connect = p
      c.connack({ reasonCode: 0, sessionPresent: false, properties: { topicAliasMaximum: 5, serverKeepAlive: 20, userProperties: { who: 'server' } } })
    })
    c.on('subscribe', (p) => {
      seen.subscribe = p
      c.suback({ messageId: p.messageId, granted: [1, 0x87], properties: { reasonString: 'second refused' } })
    })
    c.on('publish', (p) => {
      seen.publish = p
      c.puback({ messageId: p.messageId, reasonCode: 0x10, properties: { reasonString: 'nobody' } })
    })
    c.on('auth', (p) => {
      seen.auth = p
      c.auth({ reasonCode: 0x18, properties: { authenticationMethod: 'demo' } })
    })
    c.on('disconnect', (p) => {
      seen.disconnect = p
      c.destroy()
    })
  })
  try {
    const socket = net.createConnection(port, '127.0.0.1')
    await once(socket, 'connect')
    const conn = new api.MqttConnection(socket, { protocolVersion: 5 })
    conn.connect({ protocolVersion: 5, clientId: 'v5', keepalive: 10, properties: { sessionExpiryInterval: 30, userProperties: { who: 'client' } } })
    const [connack] = await withTimeout(once(conn, 'connack'), 5000, 'connack')
    assert.strictEqual(seen.connect.protocolVersion, 5)
    assert.strictEqual(seen.connect.properties.sessionExpiryInterval, 30)
    assert.strictEqual(seen.connect.properties.userProperties.who, 'client')
    assert.strictEqual(connack.reasonCode, 0)
    assert.strictEqual(connack.properties.topicAliasMaximum, 5)
    assert.strictEqual(connack.properties.serverKeepAlive, 20)
    assert.strictEqual(connack.properties.userProperties.who, 'server')

    conn.subscribe({ messageId: 3, subscriptions: [{ topic: 'a/#', qos: 1, nl: true, rap: true, rh: 2 }, { topic: 'b', qos: 0 }], properties: { subscriptionIdentifier: 9 } })
    const [suback] = await withTimeout(once(conn, 'suback'), 5000, 'suback')
    assert.deepStrictEqual(seen.subscribe.subscriptions[0], { topic: 'a/#', qos: 1, nl: true, rap: true, rh: 2 })
    assert.strictEqual(seen.subscribe.properties.subscriptionIdentifier, 9)
    assert.deepStrictEqual(suback.granted, [1, 0x87])
    assert.strictEqual(suback.properties.reasonString, 'second refused')

    conn.publish({ topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 4, properties: { contentType: 'text/plain', messageExpiryInterval: 60 } })
    const [puback] = await withTimeout(once(conn, 'puback'), 5000, 'puback')
    assert.strictEqual(seen.publish.properties.contentType, 'text/plain')
    assert.strictEqual(puback.reasonCode, 0x10)
    assert.strictEqual(puback.properties.reasonString, 'nobody')

    conn.auth({ reasonCode: 0x19, properties: { authenticationMethod: 'demo', authenticationData: Buffer.from([1, 2]) } })
    const [auth] = await withTimeout(once(conn, 'auth'), 5000, 'auth')
    assert.strictEqual(seen.auth.reasonCode, 0x19)
    assert.deepStrictEqual(seen.auth.properties.authenticationData, Buffer.from([1, 2]))
    assert.strictEqual(auth.reasonCode, 0x18)

    conn.disconnect({ reasonCode: 0x04, properties: { reasonString: 'bye' } })
    await withTimeout(once(conn, 'close'), 5000, 'close')
    assert.strictEqual(seen.disconnect.reasonCode, 0x04)
    assert.strictEqual(seen.disconnect.properties.reasonString, 'bye')
  } finally {
    await closeServer(server)
  }
})

test('garbage bytes on one server connection: error, that connection closes, the others keep working', async () => {
  const errors = []
  const server = relay((listener) => api.createServer((client) => {
    client.on('error', (e) => errors.push(e))
    listener(client)
  }))
  const port = await listen(server)
  const good = mqttjs.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 })
  try {
    await withTimeout(once(good, 'connect'), 5000, 'good client connect')
    const bad = net.createConnection(port, '127.0.0.1')
    bad.resume()
    await once(bad, 'connect')
    bad.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x0a, 0x00, 0x00]))
    bad.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02])) // reserved type, bad length
    await withTimeout(once(bad, 'close'), 5000, 'the bad connection closes')
    assert.ok(errors.length >= 1, 'error emitted on the server connection')
    await good.subscribeAsync('still/here')
    const got = once(good, 'message')
    await good.publishAsync('still/here', 'yes', { qos: 1 })
    const [, payload] = await withTimeout(got, 5000, 'message after the bad client')
    assert.strictEqual(payload.toString(), 'yes')
  } finally {
    await good.endAsync()
    await closeServer(server)
  }
})

test('a server connection nobody listens to for errors is closed, the process does not crash', { skip: upstream && 'mqtt-connection throws an unhandled error (process crash)' }, async () => {
  const clientErrors = []
  const server = api.createServer(() => {})
  server.on('clientError', (err) => clientErrors.push(err))
  const port = await listen(server)
  try {
    const bad = net.createConnection(port, '127.0.0.1')
    bad.resume()
    await once(bad, 'connect')
    bad.write(Buffer.from([0x00, 0x00]))
    await withTimeout(once(bad, 'close'), 5000, 'closed')
    assert.strictEqual(clientErrors.length, 1)
    assert.match(clientErrors[0].message, /./)
  } finally {
    await closeServer(server)
  }
})

test('a peer announcing a 200 MB packet does not make the process allocate it', async () => {
  // With the limit lifted (the default refuses such a packet from its header).
  const server = api.createServer({ maxPacketSize: Infinity }, (client) => client.on('error', () => client.destroy()))
  const port = await listen(server)
  try {
    global.gc?.()
    const before = process.memoryUsage()
    const s = net.createConnection(port, '127.0.0.1')
    await once(s, 'connect')
    // CONNECT, then a PUBLISH whose remaining length says 200 MB, then 1 MB of it.
    s.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x0a, 0x00, 0x00]))
    const len = 200 * 1024 * 1024
    const header = [0x30]
    for (let x = len; ; ) {
      const b = x % 128
      x = Math.floor(x / 128)
      header.push(x > 0 ? b | 0x80 : b)
      if (x === 0) break
    }
    s.write(Buffer.from(header))
    for (let i = 0; i < 16; i++) s.write(Buffer.alloc(64 * 1024, 0x61))
    await sleep(300)
    const after = process.memoryUsage()
    const grew = (after.arrayBuffers - before.arrayBuffers) + (after.rss - before.rss)
    assert.ok(grew < 100 * 1024 * 1024, `memory grew by ${(grew / 1048576).toFixed(0)} MB`)
    s.destroy()
  } finally {
    await closeServer(server)
  }
})

test('maxPacketSize: a larger packet is refused as soon as its header arrives', { skip: upstream && 'mqtt-connection has no packet size limit' }, async () => {
  const errors = []
  const server = api.createServer({ maxPacketSize: 1024 }, (client) => client.on('error', (e) => { errors.push(e); client.destroy() }))
  const port = await listen(server)
  try {
    const s = net.createConnection(port, '127.0.0.1')
    s.resume()
    await once(s, 'connect')
    s.write(Buffer.from([0x30, 0x80, 0x80, 0x40])) // PUBLISH of 1 MB: header only
    await withTimeout(once(s, 'close'), 5000, 'closed')
    assert.strictEqual(errors.length, 1)
    assert.match(errors[0].message, /size|large|maximum/i)
  } finally {
    await closeServer(server)
  }
})

test('a server refuses packets over 16 MiB by default (one connection cannot make it buffer 256 MiB); maxPacketSize raises or lifts it', { skip: upstream && 'mqtt-connection has no packet size limit' }, async () => {
  // PUBLISH headers only: 16 MiB + 1 of body is refused at once; 16 MiB exactly (the limit
  // is the whole packet's size) is waited for.
  const header = (n) => {
    const out = [0x30]
    do {
      let b = n % 128
      n = Math.floor(n / 128)
      if (n > 0) b |= 0x80
      out.push(b)
    } while (n > 0)
    return Buffer.from(out)
  }
  const attempt = async (opts, bodyLen) => {
    const errors = []
    const server = api.createServer(opts, (client) => client.on('error', (e) => { errors.push(e); client.destroy() }))
    const port = await listen(server)
    try {
      const s = net.createConnection(port, '127.0.0.1')
      s.resume()
      await once(s, 'connect')
      s.write(header(bodyLen))
      const closed = await Promise.race([once(s, 'close').then(() => true), sleep(300).then(() => false)])
      s.destroy()
      return { closed, errors }
    } finally {
      await closeServer(server)
    }
  }
  const over = await attempt({}, 16 * 1024 * 1024 + 1)
  assert.strictEqual(over.closed, true, 'refused from its header')
  assert.match(over.errors[0].message, /size|large|maximum/i)
  assert.strictEqual((await attempt({}, 16 * 1024 * 1024 - 5)).closed, false, 'a packet of 16 MiB is waited for')
  assert.strictEqual((await attempt({ maxPacketSize: 64 * 1024 * 1024 }, 32 * 1024 * 1024)).closed, false, 'raised')
  assert.strictEqual((await attempt({ maxPacketSize: Infinity }, 200 * 1024 * 1024)).closed, false, 'lifted')
  const { DEFAULT_SERVER_MAX_PACKET_SIZE, connectionOptions } = require('../lib/server')
  assert.strictEqual(DEFAULT_SERVER_MAX_PACKET_SIZE, 16 * 1024 * 1024)
  assert.strictEqual(connectionOptions({}).maxPacketSize, DEFAULT_SERVER_MAX_PACKET_SIZE)
})

test('invalid arguments to a method emit error, they do not throw; the connection stays usable', async () => {
  const a = new PassThrough()
  const conn = new api.MqttConnection(a)
  const errors = []
  conn.on('error', (e) => errors.push(e))
  const out = []
  a.on('data', (d) => out.push(d))
  assert.doesNotThrow(() => conn.publish({ topic: 'a/+', payload: 'x', qos: 0 }))
  assert.doesNotThrow(() => conn.subscribe({ messageId: 1, subscriptions: 'nope' }))
  await sleep(20)
  assert.ok(errors.length >= 1, 'error emitted')
  if (!upstream) {
    // mqtt-connection stops writing after an invalid packet (its write callback never comes).
    conn.pingreq()
    await sleep(20)
    assert.deepStrictEqual(Buffer.concat(out), Buffer.from([0xc0, 0x00]))
  }
})

test('pipe style: stream.pipe(new MqttConnection()) parses what the stream carries and writes back to it', { skip: upstream && 'mqtt-connection needs the stream in its constructor' }, async () => {
  const server = net.createServer((socket) => {
    const conn = socket.pipe(new api.MqttConnection())
    conn.on('connect', (p) => conn.connack({ returnCode: 0, sessionPresent: false, clientId: p.clientId }))
    conn.on('pingreq', () => conn.pingresp())
  })
  const port = await listen(server)
  try {
    const c = ours.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, keepalive: 1 })
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    // Keepalive 1 s: a ping goes out within about a second and must be answered.
    await withTimeout(once(c, 'packetreceive'), 3000, 'PINGRESP')
    await c.endAsync()
  } finally {
    await closeServer(server)
  }
})

test('setPacketEncoding turns received PUBLISH payloads into strings', { skip: upstream && 'not in mqtt-connection' }, async () => {
  const a = new PassThrough()
  const conn = new api.MqttConnection(a)
  conn.setPacketEncoding('utf8')
  const got = once(conn, 'publish')
  a.write(Buffer.from([0x30, 0x07, 0x00, 0x01, 0x74, 0xc3, 0xa9, 0x74, 0xc3]))
  const [p] = await withTimeout(got, 2000, 'publish')
  assert.strictEqual(p.topic, 't')
  assert.strictEqual(p.payload, 'ét\uFFFD')
  conn.setPacketEncoding(null)
  const next = once(conn, 'publish')
  a.write(Buffer.from([0x30, 0x04, 0x00, 0x01, 0x74, 0x41]))
  const [q] = await next
  assert.ok(Buffer.isBuffer(q.payload))
})

test('the connection follows its stream: close and end, and destroy() closes the stream', async () => {
  const a = new Duplex({ read () {}, write (c, e, cb) { cb() } })
  const conn = new api.MqttConnection(a)
  conn.on('error', () => {})
  const closed = once(conn, 'close')
  conn.destroy()
  await withTimeout(closed, 2000, 'close')
  assert.strictEqual(a.destroyed, true)
})
