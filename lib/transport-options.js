// @ts-check
'use strict'

// MQTT.js's transport options as the native side takes them. TLS (those of Node's
// tls.connect): PEM contents as Buffers, files read here (caPaths, certPath, keyPath), an
// encrypted key decrypted here with its passphrase.
// WebSocket: path, subprotocol, wsOptions.headers.
// SOCKS: `socksProxy` read as MQTT.js reads it, for MQTT over TCP and TLS.
// Node-only TLS options (NODE_TLS_OPTIONS): rustls has no counterpart, so such connections
// are opened by Node's tls module (or the ws package for wss), carrying the native session.

const crypto = require('crypto')
const fs = require('fs')

const TLS_PROTOCOLS = new Set(['mqtts', 'ssl', 'tls', 'wss'])

/** @param {any} v @returns {Buffer[]} */
function pems (v) {
  if (v === undefined || v === null) return []
  const list = Array.isArray(v) ? v : [v]
  return list.map((x) => {
    if (Buffer.isBuffer(x)) return x
    if (typeof x === 'string') return Buffer.from(x)
    if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength)
    throw new TypeError('TLS ca, cert and key must be PEM strings or Buffers (or arrays of them)')
  })
}

/**
 * An encrypted PEM key decrypted with `passphrase` by Node's crypto (so every format Node's
 * TLS takes works: PKCS#8, and OpenSSL's older Proc-Type headers); the native side gets it as
 * plain PKCS#8. A key this cannot decrypt (no or wrong passphrase) goes on as it is, and the
 * native side reports ERR_TLS_KEY_ENCRYPTED as the connection attempt's error.
 * @param {Buffer} pem @param {any} passphrase @returns {Buffer}
 */
function decryptKey (pem, passphrase) {
  if (!pem.includes('ENCRYPTED')) return pem
  try {
    const key = crypto.createPrivateKey({ key: pem, format: 'pem', passphrase: passphrase ?? undefined })
    return Buffer.from(/** @type {string} */ (key.export({ type: 'pkcs8', format: 'pem' })))
  } catch {
    return pem
  }
}

/**
 * `key` as Node's TLS takes it: a PEM, or an array of PEMs and `{ pem, passphrase }`
 * objects; then `keyPath` files. Every key decrypted with its own or the top passphrase.
 * @param {any} o client options @returns {Buffer[]}
 */
function keys (o) {
  const list = o.key === undefined || o.key === null ? [] : Array.isArray(o.key) ? o.key : [o.key]
  const given = list.map((k) => {
    const own = k && typeof k === 'object' && !(k instanceof Uint8Array) && 'pem' in k
    return decryptKey(pems(own ? k.pem : k)[0], own && k.passphrase !== undefined ? k.passphrase : o.passphrase)
  })
  return [...given, ...paths(o.keyPath).map((p) => decryptKey(fs.readFileSync(p), o.passphrase))]
}

/** @param {any} v @returns {string[]} */
function paths (v) {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]
}

/**
 * @param {any} o client options
 * @returns {any} the native TLS options, or undefined for a protocol without TLS
 */
function tlsOptions (o) {
  if (!TLS_PROTOCOLS.has(o.protocol)) return undefined
  const ca = [...pems(o.ca), ...paths(o.caPaths).map((p) => fs.readFileSync(p))]
  const cert = [...pems(o.cert), ...paths(o.certPath).map((p) => fs.readFileSync(p))]
  const key = keys(o)
  const alpn = o.ALPNProtocols ? [...o.ALPNProtocols].map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString())) : undefined
  return {
    ca: ca.length ? ca : undefined,
    cert: cert.length ? Buffer.concat(cert) : undefined,
    key: key.length ? key[0] : undefined,
    rejectUnauthorized: o.rejectUnauthorized !== false,
    servername: typeof o.servername === 'string' && o.servername ? o.servername : undefined,
    alpnProtocols: alpn
  }
}

/**
 * @param {any} o client options
 * @returns {any} the native WebSocket options, or undefined for plain MQTT
 */
function wsOptions (o) {
  if (o.protocol !== 'ws' && o.protocol !== 'wss') return undefined
  const headers = o.wsOptions && o.wsOptions.headers ? Object.entries(o.wsOptions.headers).map(([k, v]) => [k, String(v)]) : []
  return {
    path: typeof o.path === 'string' && o.path ? o.path : '/',
    protocol: o.protocolVersion === 3 ? 'mqttv3.1' : 'mqtt',
    headers
  }
}

/** TLS options of Node's tls.connect that rustls cannot honour. */
const NODE_TLS_OPTIONS = [
  'checkServerIdentity', 'secureContext', 'pfx', 'ciphers', 'minVersion', 'maxVersion', 'ecdhCurve',
  'crl', 'secureProtocol', 'secureOptions', 'sigalgs', 'honorCipherOrder', 'dhparam', 'session',
  'requestOCSP', 'pskCallback', 'privateKeyEngine', 'privateKeyIdentifier', 'clientCertEngine', 'enableTrace'
]

/** @param {any} o client options @returns {string[]} the Node-only TLS options set */
function nodeTlsOptionsSet (o) {
  return NODE_TLS_OPTIONS.filter((k) => o[k] !== undefined && o[k] !== null)
}

/**
 * The options of Node's tls.connect for a connection opened by Node: the client's options
 * as they are (as MQTT.js passes them), PEM files read, the host name as the default
 * servername.
 * @param {any} o client options @param {string} host
 */
function nodeTlsConnectOptions (o, host) {
  const t = tlsOptions({ ...o, protocol: 'mqtts' })
  const net = require('net')
  return {
    ...o,
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    servername: o.servername || (net.isIP(host) ? undefined : host),
    rejectUnauthorized: o.rejectUnauthorized !== false
  }
}

/**
 * A builder for `mqtts://` when a Node-only TLS option is set: each connection is Node's
 * tls.connect, its Duplex carrying the native session. null when rustls can do it all.
 * @param {any} o client options
 * @returns {((client: any) => any) | null}
 */
function nodeTlsBuilder (o) {
  if (o.protocol !== 'mqtts' && o.protocol !== 'ssl' && o.protocol !== 'tls') return null
  if (nodeTlsOptionsSet(o).length === 0) return null
  if (o.socksProxy) {
    throw new Error(`socksProxy cannot be combined with ${nodeTlsOptionsSet(o).join(', ')}: these TLS options need Node's tls module, which here does not go through the proxy`)
  }
  const tls = require('tls')
  return (/** @type {any} */ client) => {
    const host = o.hostname || o.host || 'localhost'
    const socket = tls.connect({ ...nodeTlsConnectOptions(o, host), host, port: o.port, path: undefined })
    // As MQTT.js's TLS stream: until the handshake is done, its errors are the client's
    // (with rejectUnauthorized); those with a code are reported by the stream plumbing.
    const handshakeError = (/** @type {any} */ err) => {
      if (o.rejectUnauthorized !== false && !(err && err.code)) client.emit('error', err)
    }
    socket.on('error', handshakeError)
    socket.on('secureConnect', () => {
      if (o.rejectUnauthorized !== false && !socket.authorized) socket.emit('error', new Error('TLS not authorized'))
      else socket.removeListener('error', handshakeError)
    })
    return socket
  }
}

/**
 * The URL MQTT.js makes for a WebSocket connection (before `transformWsUrl`), from the
 * options of the current attempt; undefined for other protocols.
 * @param {any} o client options
 * @returns {string | undefined}
 */
function wsUrl (o) {
  if (o.protocol !== 'ws' && o.protocol !== 'wss') return undefined
  const host = o.hostname || o.host || 'localhost'
  return `${o.protocol}://${host.includes(':') ? `[${host}]` : host}:${o.port}${typeof o.path === 'string' && o.path ? o.path : '/'}`
}

/**
 * MQTT.js's `transformWsUrl(url, options, client)` and `createWebsocket(url, subprotocols,
 * options)` are called before every connection, so those connections are opened in JS: a builder over the `ws` package (what MQTT.js itself
 * uses), whose Duplex then carries the native session like any custom stream.
 * @param {any} o client options
 * @returns {((client: any) => any) | null}
 */
function transformedWsBuilder (o) {
  const custom = typeof o.transformWsUrl === 'function' || typeof o.createWebsocket === 'function' ||
    (o.protocol === 'wss' && nodeTlsOptionsSet(o).length > 0)
  if (!custom || (o.protocol !== 'ws' && o.protocol !== 'wss')) return null
  let ws
  try {
    ws = require('ws')
  } catch {
    throw new Error("transformWsUrl needs the 'ws' package: npm install ws")
  }
  return (client) => {
    const host = o.hostname || o.host || 'localhost'
    const base = /** @type {string} */ (wsUrl(o))
    const url = typeof o.transformWsUrl === 'function' ? o.transformWsUrl(base, o, client) : base
    const t = o.protocol === 'wss' ? nodeTlsConnectOptions(o, host) : undefined
    const subprotocols = [o.protocolVersion === 3 ? 'mqttv3.1' : 'mqtt']
    // As MQTT.js: `createWebsocket(url, subprotocols, options)` makes the socket itself.
    const socket = typeof o.createWebsocket === 'function'
      ? o.createWebsocket(url, subprotocols, o)
      : new ws.WebSocket(url, subprotocols, {
        ...(t ? pickTls(t) : {}),
        ...(o.wsOptions || {})
      })
    // MQTT.js's WebSocket stream says where it went (client.stream.url).
    return Object.assign(ws.createWebSocketStream(socket), { url })
  }
}

/** The SOCKS versions of MQTT.js's proxy URL schemes, and whether the proxy resolves names. */
const SOCKS_SCHEMES = {
  'socks4:': [4, false],
  'socks4a:': [4, true],
  'socks5:': [5, false],
  'socks5h:': [5, true]
}

/**
 * The proxy for `mqtt://` and `mqtts://` connections (MQTT.js has none for WebSocket): its
 * URL checked as MQTT.js checks it; a URL it refuses fails every connection attempt with
 * MQTT.js's words. The user info, which MQTT.js drops, is the SOCKS 5 user and password.
 * @param {any} o the client's options
 */
function socksOptions (o) {
  const url = o.socksProxy
  if (url === undefined || url === null || url === '') return undefined
  if (String(o.protocol || 'mqtt').startsWith('ws') || o.unixSocket) return undefined
  const timeout = Number(o.socksTimeout) > 0 ? Number(o.socksTimeout) : 30000
  const refused = (/** @type {string} */ error) => ({ host: '', port: 0, version: 5, remoteDns: false, timeout, error })
  let u
  try {
    u = new URL(String(url))
  } catch {
    return refused('Invalid URL')
  }
  if (u.pathname || u.hash || u.search) return refused('bad SOCKS URL')
  const scheme = /** @type {Record<string, [number, boolean]>} */ (SOCKS_SCHEMES)[u.protocol]
  if (!scheme) return refused('bad SOCKS URL: invalid protocol')
  const port = Number.parseInt(u.port, 10)
  if (Number.isNaN(port)) return refused('bad SOCKS URL: invalid port')
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    version: scheme[0],
    remoteDns: scheme[1],
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    timeout
  }
}

/** The TLS options of Node's tls.connect, from a set of client options. @param {any} t */
function pickTls (t) {
  const out = /** @type {any} */ ({})
  for (const k of ['ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'servername', 'ALPNProtocols', ...NODE_TLS_OPTIONS]) {
    if (t[k] !== undefined) out[k] = t[k]
  }
  return out
}

module.exports = { socksOptions, tlsOptions, wsOptions, wsUrl, transformedWsBuilder, nodeTlsBuilder, TLS_PROTOCOLS }
