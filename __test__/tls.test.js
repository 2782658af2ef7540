'use strict'

// mqtts:// against Mosquitto TLS listeners, with a CA and certificates made by the test.
// MQTT_IMPL=mqtt runs the same tests on MQTT.js (Node's TLS).

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const test = require('node:test')
const { once, withTimeout, resendsAfterDrop } = require('./helpers/wait')
const assert = require('node:assert')
const impl = require('./helpers/impl')
const { startBroker } = require('./helpers/broker')
const { makeCerts } = require('./helpers/certs')

const mqtt = impl.mqtt()


let certs
let server // TLS, no client certificate needed
let mutual // TLS, client certificate required
let selfSigned // TLS with a self-signed certificate (CN=localhost, no SAN)
let cnOnly // TLS with a certificate from the test CA that has CN=localhost and no SAN
test.before(async () => {
  certs = makeCerts()
  const tls = [`cafile ${certs.caPath}`, `certfile ${certs.certPath}`, `keyfile ${certs.keyPath}`]
  server = await startBroker(tls)
  mutual = await startBroker([...tls, 'require_certificate true'])
  selfSigned = await startBroker([`certfile ${certs.pinnedCertPath}`, `keyfile ${certs.pinnedKeyPath}`])
  cnOnly = await startBroker([`cafile ${certs.caPath}`, `certfile ${certs.cnOnlyCertPath}`, `keyfile ${certs.cnOnlyKeyPath}`])
})
test.after(async () => {
  await server.stop()
  await mutual.stop()
  await selfSigned.stop()
  await cnOnly.stop()
  certs.remove()
})

/** Connects and returns the first of connect/error, with the client. */
async function attempt (url, opts) {
  const base = { reconnectPeriod: 0, connectTimeout: 5000 }
  const c = typeof url === 'string' ? mqtt.connect(url, { ...base, ...opts }) : mqtt.connect({ ...base, ...url })
  const outcome = await withTimeout(Promise.race([
    once(c, 'connect').then(() => ({ connected: true })),
    once(c, 'error').then(([err]) => ({ connected: false, err })),
    once(c, 'close').then(() => ({ connected: false, closed: true }))
  ]), 8000, 'connect or error')
  await c.endAsync(true).catch(() => {})
  return outcome
}

test('mqtts:// with the CA: connects, and messages flow at QoS 0, 1 and 2', async () => {
  const c = mqtt.connect(`mqtts://localhost:${server.port}`, { ca: certs.ca, reconnectPeriod: 0 })
  try {
    await withTimeout(once(c, 'connect'), 8000, 'connect')
    await c.subscribeAsync('tls/#', { qos: 2 })
    const got = []
    const all = new Promise((resolve) => c.on('message', (t, p, packet) => {
      got.push([t, p.toString(), packet.qos])
      if (got.length === 3) resolve()
    }))
    for (const qos of [0, 1, 2]) await c.publishAsync(`tls/${qos}`, `secret ${qos}`, { qos })
    await withTimeout(all, 5000, 'messages')
    assert.deepStrictEqual(got.sort(), [['tls/0', 'secret 0', 0], ['tls/1', 'secret 1', 1], ['tls/2', 'secret 2', 2]])
  } finally {
    await c.endAsync()
  }
})

test('ssl:// and tls:// URLs work too; an IP address is checked against the certificate\'s IP SAN', async () => {
  for (const scheme of ['ssl', 'tls']) {
    const r = await attempt(`${scheme}://127.0.0.1:${server.port}`, { ca: certs.ca })
    assert.deepStrictEqual(r, { connected: true }, scheme)
  }
})

test('caPaths, certPath and keyPath are read (MQTT.js\'s types declare caPaths)', { skip: impl.upstream && 'MQTT.js 5.16 declares caPaths in its types but never reads it' }, async () => {
  const r = await attempt(`mqtts://localhost:${server.port}`, { caPaths: [certs.caPath] })
  assert.deepStrictEqual(r, { connected: true })
  const paths = await attempt({ host: 'localhost', port: mutual.port, protocol: 'mqtts', caPaths: certs.caPath, certPath: certs.clientCertPath, keyPath: certs.clientKeyPath })
  assert.deepStrictEqual(paths, { connected: true }, 'certPath/keyPath')
})

test('a server certificate from an unknown CA is refused with Node\'s code (SELF_SIGNED_CERT_IN_CHAIN: Mosquitto sends its CA along)', async () => {
  const r = await attempt(`mqtts://localhost:${server.port}`, { ca: certs.otherCa })
  assert.strictEqual(r.connected, false)
  assert.strictEqual(r.err.code, 'SELF_SIGNED_CERT_IN_CHAIN', r.err.message)
})

test('a hostname the certificate does not name is refused with ERR_TLS_CERT_ALTNAME_INVALID', async () => {
  const r = await attempt(`mqtts://127.0.0.1:${server.port}`, { ca: certs.ca, servername: 'wrong.example' })
  assert.strictEqual(r.connected, false)
  assert.strictEqual(r.err.code, 'ERR_TLS_CERT_ALTNAME_INVALID')
})

test('a self-signed certificate pinned as `ca` is trusted as Node trusts it (CN only, no SAN); not pinned, or for another name, it is refused with Node\'s codes', async () => {
  const pinned = await attempt(`mqtts://localhost:${selfSigned.port}`, { ca: certs.pinned })
  assert.strictEqual(pinned.connected, true, String(pinned.err))
  const unpinned = await attempt(`mqtts://localhost:${selfSigned.port}`, { ca: certs.ca })
  assert.strictEqual(unpinned.err?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT')
  const byIp = await attempt(`mqtts://127.0.0.1:${selfSigned.port}`, { ca: certs.pinned })
  assert.strictEqual(byIp.err?.code, 'ERR_TLS_CERT_ALTNAME_INVALID')
})

test('rejectUnauthorized: false accepts a certificate from an unknown CA', async () => {
  const r = await attempt(`mqtts://localhost:${server.port}`, { ca: certs.otherCa, rejectUnauthorized: false })
  assert.deepStrictEqual(r, { connected: true })
})

test('no ca: the system trust store does not know the test CA, so the connection is refused', async () => {
  const r = await attempt(`mqtts://localhost:${server.port}`, {})
  assert.strictEqual(r.connected, false)
  assert.match(String(r.err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN/)
})

test('a listener that requires client certificates accepts ours (cert and key) and refuses a client without one', async () => {
  const good = await attempt(`mqtts://localhost:${mutual.port}`, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey })
  assert.deepStrictEqual(good, { connected: true })
  // mqtt:// turned into mqtts:// by the presence of cert and key (MQTT.js's rule).
  const upgraded = await attempt({ host: 'localhost', port: mutual.port, protocol: 'mqtt', ca: certs.ca, cert: certs.clientCert, key: certs.clientKey })
  assert.deepStrictEqual(upgraded, { connected: true }, 'mqtt + cert + key')
  const bad = await attempt(`mqtts://localhost:${mutual.port}`, { ca: certs.ca })
  assert.strictEqual(bad.connected, false)
})

test('an encrypted client key with its passphrase: PKCS#8, the older Proc-Type PEM, a { pem, passphrase } entry, keyPath', async () => {
  const plain = crypto.createPrivateKey(certs.clientKey)
  const pkcs8 = plain.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' })
  const legacy = plain.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'open sesame' })
  assert.match(String(pkcs8), /BEGIN ENCRYPTED PRIVATE KEY/)
  assert.match(String(legacy), /Proc-Type: 4,ENCRYPTED/)
  const keyPath = path.join(certs.dir, 'client-encrypted.key')
  fs.writeFileSync(keyPath, pkcs8)
  const base = { ca: certs.ca, cert: certs.clientCert }
  const url = `mqtts://localhost:${mutual.port}`
  assert.deepStrictEqual(await attempt(url, { ...base, key: pkcs8, passphrase: 'open sesame' }), { connected: true }, 'PKCS#8')
  assert.deepStrictEqual(await attempt(url, { ...base, key: legacy, passphrase: 'open sesame' }), { connected: true }, 'Proc-Type')
  assert.deepStrictEqual(await attempt(url, { ...base, key: [{ pem: pkcs8, passphrase: 'open sesame' }] }), { connected: true }, '{ pem, passphrase }')
  // MQTT.js 5.16 never reads keyPath (as caPaths, see above).
  if (!impl.upstream) assert.deepStrictEqual(await attempt(url, { ...base, keyPath, passphrase: 'open sesame' }), { connected: true }, 'keyPath')
})

test('an encrypted key without its passphrase, or with a wrong one, is ERR_TLS_KEY_ENCRYPTED on the connection attempt', { skip: impl.upstream && 'Node throws from tls.connect' }, async () => {
  const pkcs8 = crypto.createPrivateKey(certs.clientKey).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' })
  const base = { ca: certs.ca, cert: certs.clientCert, key: pkcs8 }
  for (const passphrase of [undefined, 'wrong']) {
    const r = await attempt(`mqtts://localhost:${mutual.port}`, { ...base, passphrase })
    assert.strictEqual(r.connected, false, String(passphrase))
    assert.strictEqual(r.err.code, 'ERR_TLS_KEY_ENCRYPTED', String(passphrase))
    assert.match(r.err.message, /passphrase/)
  }
})

test('a key that does not parse is reported as an error of the connection attempt', { skip: impl.upstream && 'Node throws from tls.connect' }, async () => {
  const r = await attempt(`mqtts://localhost:${server.port}`, { ca: certs.ca, cert: certs.clientCert, key: 'not a key' })
  assert.strictEqual(r.connected, false)
  assert.strictEqual(r.err.code, 'ERR_TLS_BAD_KEY')
})

test('reconnect over TLS resends an unacknowledged QoS 1 publish', async () => {
  const c = mqtt.connect(`mqtts://localhost:${server.port}`, { ca: certs.ca, reconnectPeriod: 200, clientId: `tls-resend-${process.pid}`, clean: false })
  const watcher = mqtt.connect(`mqtts://localhost:${server.port}`, { ca: certs.ca, reconnectPeriod: 0 })
  await resendsAfterDrop(c, watcher, 'tls/resend')
})

test('Node-only TLS options work (through Node\'s tls module): checkServerIdentity is asked and can refuse', async () => {
  const seen = []
  const ok = await attempt(`mqtts://localhost:${server.port}`, {
    ca: certs.ca,
    checkServerIdentity: (host, cert) => { seen.push([host, cert.subject.CN]) }
  })
  assert.deepStrictEqual(ok, { connected: true })
  assert.deepStrictEqual(seen, [['localhost', 'localhost']])
  const refused = await attempt(`mqtts://localhost:${server.port}`, {
    ca: certs.ca,
    checkServerIdentity: () => new Error('not the broker I pinned')
  })
  assert.strictEqual(refused.connected, false)
  assert.strictEqual(refused.err.message, 'not the broker I pinned')
})

test('Node-only TLS options work: minVersion, maxVersion, ciphers, and a secureContext', async () => {
  const tls = require('node:tls')
  const v12 = await attempt(`mqtts://localhost:${server.port}`, { ca: certs.ca, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })
  assert.deepStrictEqual(v12, { connected: true })
  const v13 = await attempt(`mqtts://localhost:${server.port}`, { ca: certs.ca, minVersion: 'TLSv1.3' })
  assert.deepStrictEqual(v13, { connected: true })
  const ctx = await attempt(`mqtts://localhost:${server.port}`, { secureContext: tls.createSecureContext({ ca: certs.ca }) })
  assert.deepStrictEqual(ctx, { connected: true })
  const impossible = await attempt(`mqtts://localhost:${server.port}`, { ca: certs.ca, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }).catch((e) => ({ thrown: e }))
  assert.ok(impossible.thrown || impossible.connected === false, 'a contradictory range does not connect')
})


test('a certificate from a trusted CA that names its host only in its CN is accepted for that name, as Node accepts it', async () => {
  const byName = await attempt(`mqtts://localhost:${cnOnly.port}`, { ca: certs.ca })
  assert.deepStrictEqual(byName, { connected: true })
  const byIp = await attempt(`mqtts://127.0.0.1:${cnOnly.port}`, { ca: certs.ca })
  assert.strictEqual(byIp.err?.code, 'ERR_TLS_CERT_ALTNAME_INVALID')
})

// Issue 28 (9): a server's TLS alert is reported as Node reports it (MQTT.js shows Node's
// error): the TLS 1.3 certificate-required alert as ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED,
// an alert that ends the handshake as EPROTO with OpenSSL's name for it. Before: `read EIO`
// and a bare `read EPROTO`.
test('a TLS alert from the server is named as Node names it: no client certificate (TLS 1.3 and 1.2), no TLS version in common', { skip: impl.runtime === 'deno' && 'Deno\'s node:tls server resets the connection instead of sending the alert' }, async () => {
  const tls = require('node:tls')
  const cases = [
    [{ requestCert: true, rejectUnauthorized: true }, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', /tlsv13 alert certificate required/],
    [{ requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }, 'EPROTO', /^write EPROTO .*sslv3 alert handshake failure/],
    [{ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, 'EPROTO', /^write EPROTO .*tlsv1 alert protocol version/]
  ]
  // Bun's TLS server (BoringSSL) takes no OpenSSL security level: its TLS 1.0/1.1 server
  // cannot be made, the client side is what this test is about.
  if (impl.runtime === 'bun') cases.pop()
  for (const [opts, code, words] of cases) {
    const srv = tls.createServer({ key: certs.key, cert: certs.cert, ca: certs.ca, ...opts }, (s) => s.on('error', () => {}))
    srv.on('tlsClientError', () => {})
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
    try {
      const r = await attempt({ protocol: 'mqtts', host: 'localhost', port: srv.address().port, ca: certs.ca })
      assert.strictEqual(r.connected, false, JSON.stringify(opts))
      assert.strictEqual(r.err?.code, code, `${JSON.stringify(opts)}: ${r.err?.message}`)
      assert.match(r.err.message, words)
    } finally {
      await new Promise((resolve) => srv.close(resolve))
    }
  }
})
