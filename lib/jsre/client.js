// @ts-check
'use strict'

// JSRE's MQTT Client: made by mqtt.open() over a TCP or TLS socket already connected, it
// speaks MQTT once client.connect(clientOpt) is called, through this package's MqttClient
// with that socket as its stream. It never reconnects: when the connection ends without
// close() it emits 'disconnect' and closes itself ('close' follows when the broker ended it
// in order).

const { EventEmitter } = require('node:events')
const { MqttClient } = require('../client')
const { validateTopic, validateFilter } = require('../validate')

/** @param {any} qos */
const validQos = (qos) => qos === undefined || qos === 0 || qos === 1 || qos === 2

/** @param {any} m */
const isMessage = (m) => typeof m === 'string' || Buffer.isBuffer(m) || m instanceof Uint8Array

/** `[options[, callback]]`. @param {any} a @param {any} b @param {string} what */
function optionsAndCallback (a, b, what) {
  if (typeof a === 'function' && b === undefined) return { o: undefined, cb: a }
  if (a !== undefined && a !== null && typeof a !== 'object') throw new TypeError(`${what}: options must be an object`)
  if (b !== undefined && typeof b !== 'function') throw new TypeError(`${what}: callback must be a function`)
  if (a && !validQos(a.qos)) throw new TypeError(`${what}: qos must be 0, 1 or 2`)
  return { o: a ?? undefined, cb: b }
}

/**
 * The link failing (a socket error, the keepalive running out): told by 'disconnect', not
 * 'error', as JSRE does. @param {any} err
 */
const isLinkError = (err) => (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) || err?.message === 'Keepalive timeout'
/** The errors MqttClient gives what a closed connection took with it. @param {any} err */
const brokeWithLink = (err) => /^(Connection closed|client disconnecting)/.test(String(err?.message))

class JsreClient extends EventEmitter {
  /** @param {import('node:net').Socket} socket connected, or connecting */
  constructor (socket) {
    super()
    this._socket = socket
    /** @type {MqttClient | null} */
    this._c = null
    this._closed = false
    /** The broker closed the connection in order (a FIN), rather than the link failing. */
    this._graceful = false
    socket.on('end', () => { this._graceful = !this._failed })
    /** A socket error was seen: the end is not the broker's in-order close. */
    this._failed = false
    // Before connect(): a socket failing is the link breaking.
    socket.on('error', () => {
      this._failed = true
      this._graceful = false
    })
    socket.on('close', () => { if (!this._c) this._lost() })
  }

  /**
   * Sends CONNECT with `{ client, user, passwd, keepalive, will, qos, topic, message }`;
   * `callback(client)` once the broker accepted it. A refusal is an 'error'.
   * @param {any} clientOpt @param {any} [callback]
   */
  connect (clientOpt, callback) {
    if (!clientOpt || typeof clientOpt !== 'object') throw new TypeError('client.connect: clientOpt must be an object')
    if (callback !== undefined && typeof callback !== 'function') throw new TypeError('client.connect: callback must be a function')
    if (this._c) throw new Error('client.connect: already connecting or connected')
    if (this._closed) throw new Error('client.connect: the client is closed')
    const o = clientOpt
    if (o.will && (typeof o.topic !== 'string' || validateTopic(o.topic) || !isMessage(o.message) || !validQos(o.qos ?? 0))) {
      throw new TypeError('client.connect: a will needs a topic, a message and a QoS of 0, 1 or 2')
    }
    /** @type {any} */
    const options = {
      protocolVersion: 4,
      clientId: o.client === undefined ? undefined : String(o.client),
      username: o.user,
      password: o.passwd,
      keepalive: o.keepalive ?? 60,
      clean: true,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false
    }
    if (o.will) options.will = { topic: o.topic, payload: o.message, qos: o.qos ?? 0, retain: false }
    const socket = this._socket
    const c = new MqttClient(() => socket, options)
    this._c = c
    c.on('error', (err) => { if (!isLinkError(err)) this._emitError(err) })
    c.on('connect', () => {
      if (callback) callback(this)
      this.emit('connect')
    })
    c.on('message', (topic, message, packet) => {
      this.emit('message', { topic, message, qos: packet.qos, packetId: packet.qos > 0 ? packet.messageId : undefined })
    })
    c.on('close', () => this._lost())
  }

  /**
   * The connection ended without close(): 'disconnect', and the client closes itself; then
   * 'close' too when the broker ended the connection in order (its FIN, no socket error).
   */
  _lost () {
    if (this._closed) return
    this._closed = true
    const c = this._c
    if (c) c.end(true)
    this._socket.destroy()
    this.emit('disconnect')
    if (this._graceful) this.emit('close')
  }

  /** As JSRE: with no 'error' listener the error is thrown. @param {any} err */
  _emitError (err) {
    this.emit('error', err)
  }

  /**
   * An operation's error goes to its callback; without one, to 'error', except when the
   * link broke under it: 'disconnect' tells that (JSRE's socket took the bytes at once).
   * @param {Function | undefined} cb @param {any} err
   */
  _report (cb, err) {
    if (cb) cb(err || undefined)
    else if (err && !brokeWithLink(err)) this._emitError(err)
  }

  /** @param {Function | undefined} cb */
  _notConnected (cb) {
    const err = Object.assign(new Error('MQTT client is not connected'), { code: 'ENOTCONN' })
    process.nextTick(() => this._report(cb, err))
  }

  /**
   * @param {any} topic @param {any} message @param {any} [options] @param {any} [callback]
   */
  publish (topic, message, options, callback) {
    if (validateTopic(topic)) throw new TypeError(`client.publish: invalid topic ${topic}`)
    if (!isMessage(message)) throw new TypeError('client.publish: message must be a string or a Buffer')
    const { o, cb } = optionsAndCallback(options, callback, 'client.publish')
    const c = this._c
    if (!c || !this.isConnected()) return this._notConnected(cb)
    c.publish(topic, message, { qos: o?.qos ?? 0, retain: Boolean(o?.retain) }, (/** @type {any} */ err) => this._report(cb, err))
  }

  /** @param {any} topic @param {any} [options] @param {any} [callback] */
  subscribe (topic, options, callback) {
    if (validateFilter(topic)) throw new TypeError(`client.subscribe: invalid topic ${topic}`)
    const { o, cb } = optionsAndCallback(options, callback, 'client.subscribe')
    const c = this._c
    if (!c || !this.isConnected()) return this._notConnected(cb)
    c.subscribe(topic, { qos: o?.qos ?? 0 }, (/** @type {any} */ err, /** @type {any} */ granted) => {
      if (!err && granted && granted.some((/** @type {any} */ g) => g.qos === 128)) err = new Error(`subscription to ${topic} refused by the broker`)
      this._report(cb, err)
    })
  }

  /** @param {any} topic @param {any} [callback] */
  unsubscribe (topic, callback) {
    if (validateFilter(topic)) throw new TypeError(`client.unsubscribe: invalid topic ${topic}`)
    if (callback !== undefined && typeof callback !== 'function') throw new TypeError('client.unsubscribe: callback must be a function')
    const c = this._c
    if (!c || !this.isConnected()) return this._notConnected(callback)
    c.unsubscribe(topic, (/** @type {any} */ err) => this._report(callback, err))
  }

  /**
   * Closes the connection: DISCONNECT once the broker has acknowledged the QoS 1 and 2
   * messages in flight (as `end()` does), then the socket. No event follows.
   */
  close () {
    if (this._closed) return
    this._closed = true
    if (this._c) this._c.end(false, () => this._socket.destroy())
    else this._socket.destroy()
  }

  isConnected () { return !this._closed && Boolean(this._c?.connected) }

  /** Whether sent messages wait for the broker's acknowledgement. */
  isQueued () { return Boolean(this._c?.isQueued()) }
}

module.exports = { JsreClient }
