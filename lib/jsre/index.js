// @ts-check
'use strict'

// JSRE's `mqtt` module: open(saddr, tlsOpt, callback[, bufSize]) connects in the background;
// open(saddr[, tlsOpt[, timeout]]) connects before it returns, blocking the thread (a
// native blocking connect) for at most `timeout` ms; mode().

const net = require('node:net')
const tls = require('node:tls')
const native = require('../native')
const runtime = require('../runtime')
const { JsreClient } = require('./client')
const { sockaddr } = require('./socket')

const DEFAULT_TIMEOUT = 30000

/** @param {any} saddr @returns {{ addr: string, port: number }} */
function checkAddress (saddr) {
  if (!saddr || typeof saddr !== 'object' || typeof saddr.addr !== 'string' || !Number.isInteger(saddr.port) || saddr.port < 1 || saddr.port > 65535) {
    throw new TypeError('mqtt.open: saddr must be a socket address { addr, port } (socket.sockaddr(ip, port))')
  }
  return saddr
}

/** @param {any} tlsOpt */
function checkTls (tlsOpt) {
  if (tlsOpt !== undefined && tlsOpt !== null && typeof tlsOpt !== 'object') throw new TypeError('mqtt.open: tlsOpt must be an object, or undefined for TCP')
  return tlsOpt ?? undefined
}

/**
 * Node's TLS options from JSRE's: `server` is the name to verify (and to send as SNI),
 * the rest (ca, cert, key, rejectUnauthorized) as Node's.
 * @param {any} tlsOpt @param {string} addr
 */
function tlsOptions (tlsOpt, addr) {
  const { server, ...rest } = tlsOpt
  const name = server ?? addr
  return { ...rest, servername: net.isIP(name) ? undefined : name, checkServerIdentity: (/** @type {string} */ _host, /** @type {any} */ cert) => tls.checkServerIdentity(name, cert) }
}

/** @param {import('node:net').Socket} s */
const remoteOf = (s) => sockaddr(/** @type {string} */ (s.remoteAddress), /** @type {number} */ (s.remotePort))

/**
 * @param {any} saddr @param {any} [tlsOpt] @param {any} [callbackOrTimeout] @param {any} [bufSize]
 * @returns {JsreClient | undefined}
 */
function open (saddr, tlsOpt, callbackOrTimeout, bufSize) {
  const { addr, port } = checkAddress(saddr)
  const secure = checkTls(tlsOpt)
  if (typeof callbackOrTimeout === 'function') {
    if (bufSize !== undefined && !(Number.isInteger(bufSize) && bufSize >= 512 && bufSize <= 4096)) throw new TypeError('mqtt.open: bufSize must be 512-4096')
    return openAsync(addr, port, secure, callbackOrTimeout)
  }
  const timeout = callbackOrTimeout ?? DEFAULT_TIMEOUT
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > 0xffffffff) throw new TypeError('mqtt.open: timeout must be a number of milliseconds')
  return openSync(addr, port, secure, timeout)
}

/**
 * @param {string} addr @param {number} port @param {any} secure
 * @param {(client: JsreClient, remote?: any) => void} callback
 */
function openAsync (addr, port, secure, callback) {
  const socket = secure ? tls.connect({ host: addr, port, ...tlsOptions(secure, addr) }) : net.connect({ host: addr, port })
  const client = new JsreClient(socket)
  let done = false
  const finish = (/** @type {any} */ remote) => {
    if (done) return
    done = true
    callback(client, remote)
  }
  socket.once(secure ? 'secureConnect' : 'connect', () => finish(remoteOf(socket)))
  socket.once('error', () => finish(undefined))
  socket.once('close', () => finish(undefined))
  return client
}

/**
 * Connects TCP before returning (the thread blocks meanwhile); over TLS the handshake
 * then runs in the background, before the CONNECT that client.connect() sends.
 * @param {string} addr @param {number} port @param {any} secure @param {number} timeout
 */
function openSync (addr, port, secure, timeout) {
  if (runtime.name === 'bun') {
    // Bun's net.Socket cannot take over a connected descriptor ({ fd }): the connection
    // would be made and lost.
    const err = new Error('mqtt.open: the synchronous form (no callback) needs Node or Deno; on Bun pass a callback: mqtt.open(saddr, tlsOpt, (client, remote) => ...)')
    Object.assign(err, { code: 'ERR_NOT_SUPPORTED' })
    throw err
  }
  let fd
  try {
    fd = native.connectBlocking(addr, port, timeout)
  } catch (err) {
    if (/** @type {any} */ (err).code === 'ERR_NOT_SUPPORTED') throw err
    return undefined
  }
  const tcp = new net.Socket({ fd, readable: true, writable: true })
  const socket = secure ? tls.connect({ socket: tcp, ...tlsOptions(secure, addr) }) : tcp
  return new JsreClient(socket)
}

/** The process's MQTT mode: on Node, a client can always subscribe and publish. */
function mode () {
  return 'publisher'
}

module.exports = { open, mode, sockaddr, Client: JsreClient }
