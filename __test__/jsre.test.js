'use strict'

// `mqtt-napi/jsre`: JSRE's mqtt module on Node. The programs of its documentation
// (__test__/samples/jsre/) run under `-r mqtt-napi/jsre/register` (which makes
// require('mqtt'), require('socket') and require('iosched') JSRE's) against Mosquitto, with
// only the broker's address, the CA's PEM text and the timers substituted; the rest checks
// the documented details directly: the synchronous open and its timeout, message objects,
// isQueued, errors thrown with no listener, the events at the end of a connection.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync, spawn } = require('node:child_process')
const { upstream, runtime } = require('./helpers/impl')
const { startBroker, freePort } = require('./helpers/broker')
const { makeCerts } = require('./helpers/certs')
const { runScript } = require('./helpers/script-runner')
const { fakeBroker } = require('./helpers/fake-broker')
const { once, sleep, withTimeout } = require('./helpers/wait')

const skip = upstream && 'mqtt-napi/jsre is this package\'s own API'
// The synchronous open adopts a connected descriptor (net.Socket({ fd })), which Bun cannot:
// there it throws ERR_NOT_SUPPORTED (the last test).
const syncOpen = skip || (runtime === 'bun' && 'Bun cannot adopt a connected socket: the synchronous open throws there')
const ROOT = path.join(__dirname, '..')
const REGISTER = path.join(ROOT, 'lib', 'jsre', 'register.js')
const SAMPLES = path.join(__dirname, 'samples', 'jsre')
const jsre = () => require(path.join(ROOT, 'jsre.js'))
const mqtt = () => require(ROOT)

let certs, plain, auth, tlsAuth, mutual, authDir, strict
test.before(async () => {
  if (skip) return
  certs = makeCerts()
  authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-auth-'))
  const pw = path.join(authDir, 'passwd')
  execFileSync('mosquitto_passwd', ['-b', '-c', pw, 'admin', 'password'])
  fs.chmodSync(authDir, 0o755)
  fs.chmodSync(pw, 0o644)
  const tlsConf = [`cafile ${certs.caPath}`, `certfile ${certs.certPath}`, `keyfile ${certs.keyPath}`]
  strict = ['allow_anonymous false', `password_file ${pw}`]
  plain = await startBroker()
  auth = await startBroker(strict)
  tlsAuth = await startBroker([...tlsConf, ...strict])
  mutual = await startBroker([...tlsConf, 'require_certificate true'])
})
test.after(async () => {
  if (skip) return
  await Promise.all([plain.stop(), auth.stop(), tlsAuth.stop(), mutual.stop()])
  certs.remove()
  fs.rmSync(authDir, { recursive: true, force: true })
})

/** @param {string} name @param {Array<[RegExp | string, string]>} subs */
function sample (name, subs) {
  let src = fs.readFileSync(path.join(SAMPLES, name), 'utf8')
  for (const [from, to] of subs) {
    const before = src
    src = src.replace(from, to)
    assert.notStrictEqual(src, before, `${name}: ${from} not found`)
  }
  return src
}

const sockaddr = (port) => jsre().sockaddr('127.0.0.1', port)
const connectOpt = { client: 'jsre-test', keepalive: 60 }

/** Opens (callback form) and connects; resolves with the connected client. */
function connected (port, tlsOpt, opt = connectOpt) {
  return withTimeout(new Promise((resolve, reject) => {
    jsre().open(sockaddr(port), tlsOpt, (client, remote) => {
      if (!remote) return reject(new Error('TCP connect error'))
      client.on('error', reject)
      client.connect(opt, resolve)
    })
  }), 8000, 'open and connect')
}

test('the typical example: opens synchronously, connects with credentials, subscribes, gets its own messages; reopens after the broker restarts', { skip: syncOpen }, async () => {
  let b = await startBroker(strict)
  const run = runScript(sample('typical.js', [
    ["socket.sockaddr('192.168.0.2', 61613)", `socket.sockaddr('127.0.0.1', ${b.port})`],
    [/setTimeout\(clientConnectTimeout, 2000\)/g, 'setTimeout(clientConnectTimeout, 200)'],
    ['setInterval(clientPublishTimeout, 5000)', 'setInterval(clientPublishTimeout, 100)']
  ]), REGISTER)
  try {
    await run.waitFor(/^127\.0\.0\.1 MQTT server opened!$/, 5000)
    await run.waitFor(/^127\.0\.0\.1 MQTT server connected!$/, 5000)
    await run.waitFor(/^127\.0\.0\.1 MQTT server subscribed!$/, 5000)
    await run.waitFor(/^recevied a message from mqtt, topic: \/testing, message: test\d+$/, 5000)
    const before = run.lines.length
    const port = b.port
    await b.stop()
    await run.waitFor(/^Lost broker!$/, 5000, before)
    await run.waitFor(/^Can not open 127\.0\.0\.1 MQTT server!$/, 5000, before)
    b = await startBroker(strict, port)
    await run.waitFor(/^127\.0\.0\.1 MQTT server connected!$/, 8000, before)
    const n = run.lines.length
    await run.waitFor(/^recevied a message from mqtt, topic: \/testing, message: test\d+$/, 5000, n)
  } finally {
    await run.stop()
    await b.stop()
  }
})

test('TLS (the synchronous open with tlsOpt { ca, server, rejectUnauthorized }), credentials, publish/subscribe/unsubscribe as documented', { skip: syncOpen }, async () => {
  const run = runScript(sample('tls.js', [
    ["socket.sockaddr('192.168.0.1', 8020)", `socket.sockaddr('127.0.0.1', ${tlsAuth.port})`],
    ["fs.readString('./ca.pem')", JSON.stringify(String(certs.ca))],
    ["server: 'xxx.xxx.com'", "server: 'localhost'"]
  ]), REGISTER)
  try {
    await run.waitFor(/^MQTT Connected!$/, 5000)
    await run.waitFor(/^message topic1 message1 qos 0 packetId undefined$/, 5000)
    await run.waitFor(/^Published message3$/, 5000)
    assert.strictEqual(run.count(/Can not connect|error/i), 0, run.lines.join('\n'))
  } finally {
    await run.stop()
  }
})

test('the callback form of open: TCP connected with the remote address, then CONNECT with a will that the broker publishes when the link breaks', { skip }, async () => {
  const w = mqtt().connect(plain.url)
  await withTimeout(once(w, 'connect'), 5000, 'watcher')
  await w.subscribeAsync('status/async-open', { qos: 1 })
  const run = runScript(sample('async-open.js', [
    ["dns.lookup('mqtt://mybroker.com')", "'127.0.0.1'"],
    ['socket.sockaddr(serIp, 8010)', `socket.sockaddr(serIp, ${plain.port})`]
  ]), REGISTER)
  try {
    await run.waitFor(new RegExp(`^TCP is connected! 127\\.0\\.0\\.1:${plain.port}$`), 5000)
    await run.waitFor(/^MQTT connected: publisher$/, 5000)
    const will = withTimeout(once(w, 'message'), 5000, 'will')
    await run.stop() // killed: no DISCONNECT, so the broker sends the will
    const [topic, payload] = await will
    assert.deepStrictEqual([topic, String(payload)], ['status/async-open', 'gone'])
  } finally {
    await run.stop()
    await w.endAsync()
  }
  const refused = runScript(sample('async-open.js', [
    ["dns.lookup('mqtt://mybroker.com')", "'127.0.0.1'"],
    ['socket.sockaddr(serIp, 8010)', `socket.sockaddr(serIp, ${await freePort()})`]
  ]), REGISTER)
  try {
    await refused.waitFor(/^TCP connect error!$/, 5000)
  } finally {
    await refused.stop()
  }
})

test('mutual TLS: tlsOpt with Node\'s cert and key', { skip }, async () => {
  const c = await connected(mutual.port, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, server: 'localhost' })
  assert.strictEqual(c.isConnected(), true)
  c.close()
  // Without a client certificate the broker refuses the handshake: no remote, or a link that breaks.
  const outcome = await withTimeout(new Promise((resolve) => {
    jsre().open(sockaddr(mutual.port), { ca: certs.ca, server: 'localhost' }, (client, remote) => {
      if (!remote) return resolve('no remote')
      client.on('disconnect', () => resolve('disconnect'))
      client.on('error', () => {})
      client.connect(connectOpt)
    })
  }), 8000, 'refused handshake')
  assert.ok(['no remote', 'disconnect'].includes(outcome), outcome)
})

test('the synchronous open blocks the thread until connected, and returns undefined after `timeout` when the peer does not answer', { skip: syncOpen }, async () => {
  // A listener whose process never accepts (its thread is parked): once its backlog is
  // full, further connections get no answer, as from an unreachable host.
  const peer = spawn(process.execPath, ['-e', `
    const s = require('node:net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
      console.log(s.address().port)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000)
    })`], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const [line] = await withTimeout(once(peer.stdout, 'data'), 5000, 'peer port')
    const port = Number(String(line).trim())
    const { open } = jsre()
    const opened = []
    let ticked = false
    setImmediate(() => { ticked = true })
    let failedAfter = -1
    for (let i = 0; i < 8 && failedAfter < 0; i++) {
      const t = process.hrtime.bigint()
      const c = open(sockaddr(port), undefined, 300)
      const ms = Number(process.hrtime.bigint() - t) / 1e6
      if (c) opened.push(c)
      else failedAfter = ms
    }
    assert.strictEqual(ticked, false, 'nothing else ran while open() blocked')
    assert.ok(opened.length >= 1, 'the backlog took at least one connection')
    assert.ok(failedAfter >= 290 && failedAfter < 3000, `undefined after ${failedAfter} ms (timeout 300)`)
    for (const c of opened) c.close()
  } finally {
    peer.kill('SIGKILL')
  }
  // A port with no listener: undefined at once.
  assert.strictEqual(jsre().open(sockaddr(await freePort()), undefined, 5000), undefined)
})

test('messages are { topic, message (Buffer), qos, packetId }; isQueued() while a QoS 1 publish waits for its PUBACK', { skip }, async () => {
  const c = await connected(plain.port)
  const got = withTimeout(once(c, 'message'), 5000, 'message')
  await new Promise((resolve, reject) => c.subscribe('jsre/m', { qos: 1 }, (err) => (err ? reject(err) : resolve())))
  assert.strictEqual(c.isQueued(), false)
  const acked = new Promise((resolve) => c.publish('jsre/m', Buffer.from([1, 2]), { qos: 1 }, resolve))
  assert.strictEqual(c.isQueued(), true)
  assert.strictEqual(await withTimeout(acked, 5000, 'puback'), undefined, 'no error')
  assert.strictEqual(c.isQueued(), false)
  const [m] = await got
  assert.deepStrictEqual(Object.keys(m), ['topic', 'message', 'qos', 'packetId'])
  assert.strictEqual(m.topic, 'jsre/m')
  assert.ok(Buffer.isBuffer(m.message))
  assert.deepStrictEqual([...m.message], [1, 2])
  assert.strictEqual(m.qos, 1)
  assert.ok(Number.isInteger(m.packetId) && m.packetId > 0)
  assert.strictEqual(jsre().mode(), 'publisher')
  assert.throws(() => c.publish('jsre/+', 'x'), TypeError)
  assert.throws(() => c.publish('jsre/m', 42), TypeError)
  assert.throws(() => c.subscribe('a/#/b'), TypeError)
  assert.throws(() => jsre().open({ addr: '127.0.0.1' }), TypeError)
  c.close()
  assert.strictEqual(c.isConnected(), false)
  // Not connected: the error goes to the callback, or to 'error' without one.
  const err = await new Promise((resolve) => c.publish('jsre/m', 'late', resolve))
  assert.ok(err instanceof Error)
  const emitted = withTimeout(once(c, 'error'), 1000, 'error event')
  c.publish('jsre/m', 'late')
  assert.ok((await emitted)[0] instanceof Error)
})

test('refused credentials: an error event (CONNACK code), then disconnect; with no error listener the error is thrown', { skip: syncOpen }, async () => {
  const events = []
  await withTimeout(new Promise((resolve) => {
    jsre().open(sockaddr(auth.port), undefined, (client) => {
      client.on('error', (e) => events.push(`error ${e.code}`))
      client.on('disconnect', () => { events.push('disconnect'); resolve() })
      client.connect({ client: 'jsre-bad', user: 'admin', passwd: 'wrong' })
    })
  }), 8000, 'refusal')
  assert.match(events[0], /^error [45]$/)
  assert.strictEqual(events[1], 'disconnect')
  const run = runScript(`
    var mqtt = require('mqtt'); var socket = require('socket');
    var c = mqtt.open(socket.sockaddr('127.0.0.1', ${auth.port}), undefined, 5000);
    c.connect({ client: 'jsre-bad2', user: 'admin', passwd: 'wrong' });
  `, REGISTER)
  try {
    await run.waitFor(/Connection refused/, 5000)
    await withTimeout((async () => { while (run.exitCode() === null) await sleep(20) })(), 5000, 'exit')
    assert.notStrictEqual(run.exitCode(), 0)
  } finally {
    await run.stop()
  }
})

test('the broker going away: disconnect, the client closed, then close (the broker ended it in order)', { skip }, async () => {
  const b = await startBroker()
  const c = await connected(b.port)
  const events = []
  c.on('disconnect', () => events.push(`disconnect ${c.isConnected()}`))
  c.on('close', () => events.push('close'))
  await b.stop()
  await withTimeout((async () => { while (events.length < 2) await sleep(10) })(), 5000, 'events')
  assert.deepStrictEqual(events, ['disconnect false', 'close'])
})

test('publishes that the breaking link took with them are told by disconnect, not by error events (they would be thrown)', { skip }, async () => {
  const fb = await fakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
  })
  try {
    const c = await connected(fb.port)
    const events = []
    c.on('error', (e) => events.push(`error ${e.message}`))
    c.on('disconnect', () => events.push('disconnect'))
    c.publish('t', 'qos 0')
    c.publish('t', 'qos 1', { qos: 1 })
    // The link breaks before they are written (a reset, as the network gives it).
    c._socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
    await withTimeout((async () => { while (!events.includes('disconnect')) await sleep(10) })(), 5000, 'disconnect')
    await sleep(100)
    assert.deepStrictEqual(events, ['disconnect'])
  } finally {
    await fb.close()
  }
})

test('README\'s JSRE example runs as printed: it gets its own QoS 1 message back', { skip: syncOpen }, async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### `mqtt-napi/jsre`')))[1]
  const src = block.replace("require('mqtt-napi/jsre')", `require(${JSON.stringify(path.join(ROOT, 'jsre.js'))})`)
    .replace("sockaddr('127.0.0.1', 1883)", `sockaddr('127.0.0.1', ${auth.port})`)
  assert.notStrictEqual(src, block)
  const run = runScript(src, REGISTER)
  try {
    await run.waitFor(/^\/testing hello 1 \d+$/, 8000)
  } finally {
    await run.stop()
  }
})

test('on Bun the synchronous open throws ERR_NOT_SUPPORTED and says to pass a callback; the callback form works', { skip: skip || (runtime !== 'bun' && 'Bun only') }, async () => {
  const { open } = jsre()
  assert.throws(() => open(sockaddr(plain.port)), (err) => err.code === 'ERR_NOT_SUPPORTED' && /on Bun pass a callback/.test(err.message))
  const remote = await withTimeout(new Promise((resolve) => open(sockaddr(plain.port), undefined, (client, r) => {
    client.close()
    resolve(r)
  })), 5000, 'callback open')
  assert.ok(remote, 'connected')
})
