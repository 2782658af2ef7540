// @ts-check
'use strict'

// The server side of early MQTT.js: createServer (a net.Server), createSecureServer (a
// tls.Server) and createConnection (a client-side MqttConnection over TCP). Each accepted
// socket becomes an MqttServerClient, announced with the server's `client` event.

const fs = require('fs')
const net = require('net')
const tls = require('tls')
const { MqttConnection } = require('./connection')

/** An accepted connection: an MqttConnection that knows its server. */
class MqttServerClient extends MqttConnection {
  /** @param {any} socket @param {any} server */
  constructor (socket, server) {
    super(socket, server._connectionOptions)
    this.server = server
  }

  /**
   * Errors nobody listens for on a connection (malformed bytes, a reset socket) must not
   * bring the whole server down: they go to the server's `clientError` listeners, and the
   * connection is closed.
   * @param {string | symbol} name @param {...any} args
   */
  emit (name, ...args) {
    if (name === 'error' && this.listenerCount('error') === 0) {
      if (this.server.listenerCount('clientError') > 0) this.server.emit('clientError', args[0], this)
      this.destroy()
      return false
    }
    return super.emit(name, ...args)
  }
}

/** @param {any} server @param {any} socket */
function accept (server, socket) {
  server.emit('client', new MqttServerClient(socket, server))
}

/** A net.Server whose connections are MQTT connections (`client` event). */
class MqttServer extends net.Server {
  /**
   * @param {any} [opts] net.Server options, plus maxPacketSize and protocolVersion for
   *   every connection
   * @param {(client: MqttServerClient) => void} [listener]
   */
  constructor (opts, listener) {
    if (typeof opts === 'function') {
      listener = opts
      opts = {}
    }
    opts = opts || {}
    super(opts)
    this._connectionOptions = connectionOptions(opts)
    this.on('connection', (socket) => accept(this, socket))
    if (listener) this.on('client', listener)
  }
}

/** A tls.Server whose connections are MQTT connections (`client` event). */
class MqttSecureServer extends tls.Server {
  /**
   * @param {any} opts tls.createServer options (key, cert, ca, requestCert...)
   * @param {(client: MqttServerClient) => void} [listener]
   */
  constructor (opts, listener) {
    super(opts)
    this._connectionOptions = connectionOptions(opts)
    this.on('secureConnection', (socket) => accept(this, socket))
    if (listener) this.on('client', listener)
  }
}

/**
 * The largest packet a server's connection accepts unless `maxPacketSize` says otherwise
 * (`Infinity` for MQTT's own limit, 256 MiB): a larger one is refused from its fixed header,
 * so one connection cannot make the server buffer hundreds of megabytes. mqtt-connection
 * has no limit; EMQX's default is 1 MiB.
 */
const DEFAULT_SERVER_MAX_PACKET_SIZE = 16 * 1024 * 1024

/** @param {any} opts */
function connectionOptions (opts) {
  const o = {}
  o.maxPacketSize = opts.maxPacketSize === undefined || opts.maxPacketSize === null ? DEFAULT_SERVER_MAX_PACKET_SIZE : opts.maxPacketSize
  if (opts.protocolVersion) o.protocolVersion = opts.protocolVersion
  return o
}

/**
 * @param {any} [opts]
 * @param {(client: MqttServerClient) => void} [listener]
 */
function createServer (opts, listener) {
  return new MqttServer(opts, listener)
}

/**
 * `createSecureServer(keyPath, certPath, [listener])` as early MQTT.js, or
 * `createSecureServer(tlsOptions, [listener])` with key, cert, ca, requestCert...
 * @param {any} keyPathOrOptions @param {any} [certPath] @param {any} [listener]
 */
function createSecureServer (keyPathOrOptions, certPath, listener) {
  let opts
  if (typeof keyPathOrOptions === 'string') {
    if (typeof certPath !== 'string') throw new TypeError('createSecureServer(keyPath, certPath, [listener]): certPath must be a path')
    opts = { key: fs.readFileSync(keyPathOrOptions), cert: fs.readFileSync(certPath) }
  } else if (keyPathOrOptions && typeof keyPathOrOptions === 'object') {
    opts = keyPathOrOptions
    listener = certPath
  } else {
    throw new TypeError('createSecureServer needs (keyPath, certPath) or TLS options')
  }
  return new MqttSecureServer(opts, listener)
}

/**
 * A client-side MqttConnection over TCP. Emits `connected` when the socket is open;
 * `callback(err, conn)` is called then, or with the error if it could not open.
 * @param {number} [port] @param {string | Function} [host] @param {Function} [callback]
 */
function createConnection (port, host, callback) {
  if (typeof host === 'function') {
    callback = host
    host = undefined
  }
  const socket = net.createConnection(port || 1883, /** @type {string} */ (host) || 'localhost')
  socket.setNoDelay(true)
  const conn = new MqttConnection(socket)
  // With a callback, a failure to connect goes to it (not to an `error` event nobody
  // listens to yet).
  const cb = callback
  /** @param {Error} err */
  const failed = (err) => {
    conn.removeListener('error', failed)
    if (cb) cb(err)
  }
  if (cb) conn.on('error', failed)
  socket.once('connect', () => {
    conn.removeListener('error', failed)
    conn.emit('connected')
    if (cb) cb(null, conn)
  })
  return conn
}

module.exports = { MqttServer, MqttSecureServer, MqttServerClient, createServer, createSecureServer, createConnection, connectionOptions, DEFAULT_SERVER_MAX_PACKET_SIZE }
