'use strict'

// `mqtt-napi/device`: the device runtime's MQTT API on Node. The samples of its
// documentation (__test__/samples/device/, as printed there) run unchanged under
// `-r mqtt-napi/device/register` against Mosquitto, with only the broker's address, the
// certificates and the timers substituted; the rest checks the documented details
// (argument ranges, error codes, errnoConnect, reconnectCount, buffer sizes) directly.
// Sample 4 is not run: it loops with `while(1)` and the runtime's blocking
// `setTimeout(200).wait()`, which a Node event loop cannot serve.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { upstream } = require('./helpers/impl')
const { startBroker, freePort } = require('./helpers/broker')
const { makeCerts } = require('./helpers/certs')
const { runScript } = require('./helpers/script-runner')
const { once, sleep, withTimeout } = require('./helpers/wait')

const skip = upstream && 'mqtt-napi/device is this package\'s own API'
const ROOT = path.join(__dirname, '..')
const REGISTER = path.join(ROOT, 'lib', 'device', 'register.js')
const SAMPLES = path.join(__dirname, 'samples', 'device')
const device = () => require(path.join(ROOT, 'device.js'))
const mqtt = () => require(ROOT)

let certs, plain, tls, mutual, authDir
test.before(async () => {
  if (skip) return
  certs = makeCerts()
  authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-auth-'))
  const pw = path.join(authDir, 'passwd')
  execFileSync('mosquitto_passwd', ['-b', '-c', pw, 'foo', 'foobar'])
  fs.chmodSync(authDir, 0o755)
  fs.chmodSync(pw, 0o644)
  const tlsConf = [`cafile ${certs.caPath}`, `certfile ${certs.certPath}`, `keyfile ${certs.keyPath}`]
  plain = await startBroker()
  tls = await startBroker(tlsConf)
  mutual = await startBroker([...tlsConf, 'require_certificate true', 'allow_anonymous false', `password_file ${pw}`])
})
test.after(async () => {
  if (skip) return
  await Promise.all([plain.stop(), tls.stop(), mutual.stop()])
  certs.remove()
  fs.rmSync(authDir, { recursive: true, force: true })
})

/**
 * A sample with the broker's address, PEM strings and timers put in.
 * @param {string} name @param {{ url?: string, tlsUrl?: string, ms?: number }} s
 */
function sample (name, s) {
  let src = fs.readFileSync(path.join(SAMPLES, name), 'utf8')
  if (s.url) src = src.replace(/'mqtt:\/\/foo\.bar(:1883)?'/g, `'${s.url}'`)
  if (s.tlsUrl) src = src.replace(/'mqtts:\/\/foo\.bar:8883'/g, `'${s.tlsUrl}'`)
  const pem = { sslCa: certs.ca, sslClientCert: certs.clientCert, sslClientKey: certs.clientKey }
  src = src.replace(/var (sslCa|sslClientCert|sslClientKey) = '-----BEGIN [^;]*;/g, (_, v) => `var ${v} = ${JSON.stringify(String(pem[v]))};`)
  src = src.replace(/\}, (10000|15000)\);/g, `}, ${s.ms ?? 150});`)
  return src
}

/** A plain MQTT client of this package watching and feeding the script's topics. */
async function watcher (port, topic) {
  const w = mqtt().connect(`mqtt://127.0.0.1:${port}`)
  await withTimeout(once(w, 'connect'), 5000, 'watcher connect')
  if (topic) await w.subscribeAsync(topic, { qos: 1 })
  return w
}

/** Waits for the watcher to get a message matching `re` on `topic`. */
function message (w, topic, re, ms) {
  return withTimeout(new Promise((resolve) => {
    const f = (t, p) => {
      if (t === topic && re.test(String(p))) {
        w.removeListener('message', f)
        resolve(String(p))
      }
    }
    w.on('message', f)
  }), ms, `${topic} ${re}`)
}

/** Publishes until the script prints a line matching `re` (its subscription may be late). */
async function feedUntil (run, w, topic, payload, re, ms) {
  const end = Date.now() + ms
  for (;;) {
    await w.publishAsync(topic, payload, { qos: 1 })
    try {
      return await run.waitFor(re, 200)
    } catch (e) {
      if (Date.now() > end) throw e
    }
  }
}

test('sample 1 (mqtt://): connects, subscribes, prints messages and publishes the battery level on its timer', { skip }, async () => {
  const w = await watcher(plain.port, 'bar_topic/device01')
  const run = runScript(sample('sample1.js', { url: `mqtt://127.0.0.1:${plain.port}` }), REGISTER)
  try {
    await run.waitFor(/^CONNECTED$/, 8000)
    assert.strictEqual(await message(w, 'bar_topic/device01', /^Battery level : 10%$/, 5000), 'Battery level : 10%')
    await feedUntil(run, w, 'foo_topic/device01', 'hello device', /^TOPIC: foo_topic\/device01 MESSAGE: hello device$/, 5000)
    assert.strictEqual(run.count(/ERROR/), 0, run.lines.join('\n'))
  } finally {
    await run.stop()
    await w.endAsync()
  }
})

test('sample 1 when the broker goes away: its close handler reconnects, its error handler retries, and it connects when the broker is back', { skip }, async () => {
  let b = await startBroker()
  const run = runScript(sample('sample1.js', { url: b.url }), REGISTER)
  try {
    await run.waitFor(/^CONNECTED$/, 8000)
    const before = run.lines.length
    await b.stop()
    await run.waitFor(/^DISCONNECTED$/, 5000, before)
    await run.waitFor(/^ERROR: 1 ERRNO: 6$/, 5000, before)
    b = await startBroker([], b.port)
    await run.waitFor(/^CONNECTED$/, 8000, before)
  } finally {
    await run.stop()
    await b.stop()
  }
})

test('sample 2 (mqtts:// with the CA set by mqtt.set(\'ssl.ca\', ...)): connects over TLS and publishes', { skip }, async () => {
  const w2 = mqtt().connect(`mqtts://localhost:${tls.port}`, { ca: certs.ca })
  await withTimeout(once(w2, 'connect'), 5000, 'TLS watcher')
  await w2.subscribeAsync('bar_topic/device01', { qos: 1 })
  const run = runScript(sample('sample2.js', { tlsUrl: `mqtts://localhost:${tls.port}` }), REGISTER)
  try {
    await run.waitFor(/^CONNECTED$/, 8000)
    await message(w2, 'bar_topic/device01', /^Battery level : 10%$/, 5000)
    await feedUntil(run, w2, 'foo_topic/device01', 'over tls', /^TOPIC: foo_topic\/device01 MESSAGE: over tls$/, 5000)
  } finally {
    await run.stop()
    await w2.endAsync()
  }
})

test('sample 3 (mutual TLS, user name and password, reconnectCount 1855): connects and publishes', { skip }, async () => {
  const w = mqtt().connect(`mqtts://localhost:${mutual.port}`, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, username: 'foo', password: 'foobar', clientId: 'watcher3' })
  await withTimeout(once(w, 'connect'), 5000, 'mutual TLS watcher')
  await w.subscribeAsync('bar_topic/device01', { qos: 1 })
  const run = runScript(sample('sample3.js', { tlsUrl: `mqtts://localhost:${mutual.port}` }), REGISTER)
  try {
    await run.waitFor(/^CONNECTED$/, 8000)
    await message(w, 'bar_topic/device01', /^Battery level : 10%$/, 5000)
    await feedUntil(run, w, 'foo_topic/device01', 'mutual', /^TOPIC: foo_topic\/device01 MESSAGE: mutual$/, 5000)
  } finally {
    await run.stop()
    await w.endAsync()
  }
})

test('sample 5 (reconnectCount 1855): QoS 1 publish callbacks say OK; after a broker restart it reconnects by itself', { skip }, async () => {
  let b = await startBroker()
  const run = runScript(sample('sample5.js', { url: b.url }), REGISTER)
  try {
    await run.waitFor(/^CONNECTED$/, 8000)
    await run.waitFor(/^Publish OK$/, 5000)
    const before = run.lines.length
    await b.stop()
    await sleep(300)
    b = await startBroker([], b.port)
    await run.waitFor(/^CONNECTED$/, 10000, before)
    await run.waitFor(/^Publish OK$/, 5000, run.lines.length)
    assert.strictEqual(run.count(/SUBSCRIBE ERROR/), 0, run.lines.join('\n'))
  } finally {
    await run.stop()
    await b.stop()
  }
})

test('sample 6 (manual reconnect): with no broker it retries from its error handler (errnoConnect 6), and connects once one starts', { skip }, async () => {
  const port = await freePort()
  const run = runScript(sample('sample6.js', { url: `mqtt://127.0.0.1:${port}` }), REGISTER)
  let b
  try {
    await run.waitFor(/^ERROR: 1 ERRNO: 6$/, 5000)
    await run.waitFor(/^reconnectAttempts: 2$/, 8000)
    b = await startBroker([], port)
    await run.waitFor(/^CONNECTED$/, 8000)
    await run.waitFor(/^Publish OK$/, 5000)
  } finally {
    await run.stop()
    if (b) await b.stop()
  }
})

test('connect() answers undefined for invalid arguments, as the runtime documents its ranges', { skip }, () => {
  const d = device()
  const url = `mqtt://127.0.0.1:${plain.port}`
  const bad = [
    [undefined], [42], ['http://127.0.0.1'], ['mqtt://'], ['mqtt://127.0.0.1:70000'], ['mqtt://127.0.0.1:12ab'],
    [`mqtt://${'h'.repeat(250)}.example`], [url, 'options'], [url, null],
    [url, { keepalive: -1 }], [url, { keepalive: 1.5 }], [url, { keepalive: '60' }],
    [url, { clientId: '' }], [url, { clientId: 'x'.repeat(128) }],
    [url, { protocolVersion: 5 }], [url, { protocolVersion: 3 }].map((a, i) => (i === 1 ? { protocolVersion: 3, protocolId: 'MQTT' } : a)),
    [url, { reconnectPeriod: 10001 }], [url, { connectTimeout: -1 }],
    [url, { username: '' }], [url, { password: 'p'.repeat(512) }],
    [url, { reconnectCount: -1 }], [url, { reconnectCount: 1000 }], [url, { reconnectCount: 1854 }],
    [url, { sendBuffSize: 127 }], [url, { sendBuffSize: 65537 }], [url, { recvBuffSize: 100 }]
  ]
  for (const args of bad) assert.strictEqual(d.connect(...args), undefined, JSON.stringify(args))
  // The edges of each range are accepted.
  const ok = d.connect(url, { keepalive: 0, clientId: 'x'.repeat(127), reconnectPeriod: 10000, reconnectCount: 1855, sendBuffSize: 65536, recvBuffSize: 128, username: 'u'.repeat(511), password: 'p' })
  assert.ok(ok instanceof d.Client)
  ok.end()
})

/** Connects a device client and waits for 'connect' (or fails on 'error'). */
async function connected (url, options) {
  const c = device().connect(url, options)
  assert.ok(c, 'connect() gave a client')
  await withTimeout(new Promise((resolve, reject) => {
    c.on('connect', resolve)
    c.on('error', (e) => reject(new Error(`error ${e.code}, errnoConnect ${c.get('errnoConnect')}`)))
  }), 8000, 'connect')
  return c
}

const ended = (c) => new Promise((resolve) => c.end(resolve))

test('publish/subscribe/unsubscribe: MqttError 0 in callbacks, 10 for bad arguments, 11 when not connected', { skip }, async () => {
  const { MqttError } = device()
  const c = await connected(plain.url, { clientId: 'dev-codes' })
  const cb = () => { let f; const p = new Promise((resolve) => { f = resolve }); return [f, p] }
  const [subCb, subDone] = cb()
  assert.strictEqual(c.subscribe('codes/#', { qos: 1 }, subCb), undefined)
  const subErr = await withTimeout(subDone, 5000, 'suback')
  assert.ok(subErr instanceof MqttError)
  assert.deepStrictEqual([subErr.code, subErr.message], [0, 'OK'])
  const [pubCb, pubDone] = cb()
  assert.strictEqual(c.publish('codes/a', new Uint8Array([1, 2, 3]).buffer, { qos: 2 }, pubCb), undefined)
  assert.strictEqual((await withTimeout(pubDone, 5000, 'pubcomp')).code, 0)
  for (const [args, what] of [[['codes/+', 'x'], 'wildcard topic'], [['', 'x'], 'empty topic'], [['codes/a', 42], 'number message'], [['codes/a', 'x', { qos: 3 }], 'qos 3'], [['codes/a', 'x', {}, 'cb'], 'callback not a function']]) {
    const e = c.publish(...args)
    assert.ok(e instanceof MqttError, what)
    assert.deepStrictEqual([e.code, e.message], [10, 'Illegal argument'], what)
  }
  assert.strictEqual(c.subscribe('a/#/b').code, 10)
  assert.strictEqual(c.unsubscribe(7).code, 10)
  // A refusal reaches the callback too.
  const [badCb, badDone] = cb()
  assert.strictEqual(c.subscribe('a/#/b', badCb).code, 10)
  assert.strictEqual((await withTimeout(badDone, 1000, 'callback')).code, 10)
  const [unsCb, unsDone] = cb()
  assert.strictEqual(c.unsubscribe('codes/#', unsCb), undefined)
  assert.strictEqual((await withTimeout(unsDone, 5000, 'unsuback')).code, 0)
  await ended(c)
  assert.strictEqual(c.isConnected(), false)
  assert.strictEqual(c.canPublish(), false)
  for (const e of [c.publish('codes/a', 'x'), c.subscribe('codes/#'), c.unsubscribe('codes/#')]) {
    assert.deepStrictEqual([e.code, e.message], [11, 'Disconnected'])
  }
})

test('sendBuffSize: a publish whose topic, message and 9 header bytes exceed it is an argument error; recvBuffSize: larger messages are dropped', { skip }, async () => {
  const c = await connected(plain.url, { clientId: 'dev-sizes', sendBuffSize: 128, recvBuffSize: 128 })
  const topic = 'sizes/t' // 7 bytes
  assert.strictEqual(c.publish(topic, 'x'.repeat(128 - 9 - 7)), undefined)
  assert.strictEqual(c.publish(topic, 'x'.repeat(128 - 9 - 7 + 1)).code, 10)
  assert.strictEqual(c.publish(topic, 'é'.repeat(57)).code, 10, 'counted in bytes (114 + 16 > 128)')
  const got = []
  c.on('message', (_t, m) => got.push(m.length))
  await new Promise((resolve) => c.subscribe('sizes/#', { qos: 1 }, resolve))
  const w = await watcher(plain.port)
  for (const n of [112, 113, 10]) await w.publishAsync(topic, 'y'.repeat(n), { qos: 1 })
  await withTimeout((async () => { while (!got.includes(10)) await sleep(10) })(), 5000, 'messages')
  assert.deepStrictEqual(got, [112, 10], 'the 113-byte message (7 + 113 + 9 > 128) was dropped')
  await Promise.all([ended(c), w.endAsync()])
})

test('message: a string, or an ArrayBuffer for topics subscribed with bin: true', { skip }, async () => {
  const c = await connected(plain.url, { clientId: 'dev-bin' })
  const got = {}
  c.on('message', (t, m) => { got[t] = m })
  await new Promise((resolve) => c.subscribe('bin/raw/#', { bin: true }, resolve))
  await new Promise((resolve) => c.subscribe('bin/text/#', resolve))
  const w = await watcher(plain.port)
  await w.publishAsync('bin/raw/a', Buffer.from([0xff, 0, 1]), { qos: 1 })
  await w.publishAsync('bin/text/a', 'héllo', { qos: 1 })
  await withTimeout((async () => { while (Object.keys(got).length < 2) await sleep(10) })(), 5000, 'messages')
  assert.ok(got['bin/raw/a'] instanceof ArrayBuffer)
  assert.deepStrictEqual([...new Uint8Array(got['bin/raw/a'])], [0xff, 0, 1])
  assert.strictEqual(got['bin/text/a'], 'héllo')
  await Promise.all([ended(c), w.endAsync()])
})

test('errnoConnect: 4 or 5 for refused credentials, 7 for a server certificate the CA set does not sign, 6 for no listener', { skip }, async () => {
  const d = device()
  const failure = (c) => withTimeout(new Promise((resolve) => c.on('error', (e) => resolve([e.code, c.get('errnoConnect')]))), 8000, 'error')
  d.set('ssl.ca', String(certs.ca))
  d.set('ssl.cert', String(certs.clientCert))
  d.set('ssl.key', String(certs.clientKey))
  const badPass = d.connect(`mqtts://localhost:${mutual.port}`, { username: 'foo', password: 'wrong' })
  const [code, errno] = await failure(badPass)
  assert.strictEqual(code, 1)
  assert.ok(errno === 4 || errno === 5, `errnoConnect ${errno}`)
  badPass.end()
  d.set('ssl.ca', String(certs.otherCa))
  const wrongCa = d.connect(`mqtts://localhost:${tls.port}`)
  assert.deepStrictEqual(await failure(wrongCa), [1, 7])
  wrongCa.end()
  // Cleared settings: the system's CAs, which do not know the test CA either.
  d.set('ssl.ca')
  d.set('ssl.cert')
  d.set('ssl.key')
  const noCa = d.connect(`mqtts://localhost:${tls.port}`)
  assert.deepStrictEqual(await failure(noCa), [1, 7])
  noCa.end()
  const none = d.connect(`mqtt://127.0.0.1:${await freePort()}`)
  assert.deepStrictEqual(await failure(none), [1, 6])
  assert.strictEqual(none.isReconnecting(), false, 'reconnectCount 0: no automatic retry')
  none.end()
  assert.throws(() => d.set('ssl.capath', 'x'), TypeError)
  assert.throws(() => d.set('ssl.ca', 42), TypeError)
})

test('reconnectCount bounds the automatic retries: 3 retries reconnectPeriod apart, then it stays down', { skip }, async () => {
  const c = device().connect(`mqtt://127.0.0.1:${await freePort()}`, { reconnectCount: 3, reconnectPeriod: 50 })
  const events = []
  c.on('error', (e) => events.push(`error ${e.code} ${c.get('errnoConnect')} ${c.isReconnecting()}`))
  c.on('reconnect', () => events.push('reconnect'))
  await withTimeout((async () => { while (events.length < 7) await sleep(10) })(), 5000, 'retries')
  await sleep(400)
  assert.deepStrictEqual(events, [
    'error 1 6 true', 'reconnect', 'error 1 6 true', 'reconnect', 'error 1 6 true', 'reconnect', 'error 1 6 false'
  ])
  assert.strictEqual(c.isReconnecting(), false)
  c.end()
})

test('MQTT 3.1 (protocolVersion 3, MQIsdp), end() after a QoS 1 publish: the callback says OK and the watcher has it', { skip }, async () => {
  const w = await watcher(plain.port, 'v31/#')
  const got = message(w, 'v31/a', /^kept$/, 5000)
  const c = await connected(plain.url, { protocolVersion: 3, protocolId: 'MQIsdp', clientId: 'dev-v31' })
  const order = []
  c.on('end', () => order.push('end'))
  c.publish('v31/a', 'kept', { qos: 1 }, (e) => order.push(`publish ${e.code}`))
  await ended(c)
  order.push('released')
  assert.deepStrictEqual(order, ['end', 'publish 0', 'released'])
  await got
  await w.endAsync()
})

/** The first ```js block after `heading` in README.md. */
function readmeBlock (heading) {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const at = readme.indexOf(heading)
  assert.ok(at >= 0, heading)
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at))
  return m[1]
}

test('README\'s device script runs as printed under -r mqtt-napi/device/register', { skip }, async () => {
  const src = readmeBlock('### `mqtt-napi/device`').replace("'mqtt://127.0.0.1:1883'", `'${plain.url}'`).replace('}, 15000);', '}, 150);')
  const run = runScript(src, REGISTER)
  try {
    await run.waitFor(/^CONNECTED$/, 8000)
    await run.waitFor(/^Publish OK$/, 5000)
  } finally {
    await run.stop()
  }
})
