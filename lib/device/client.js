// @ts-check
'use strict'

// The device runtime's MQTT Client over this package's MqttClient: its event names, its
// MqttError codes in callbacks and return values, its reconnection (`reconnectCount`
// automatic retries `reconnectPeriod` apart, `reconnect()` by hand) and its buffer sizes.

const { connect } = require('../connect')
const { validateTopic, validateFilter } = require('../validate')
const { topicMatches } = require('../topic-match')
const { MqttError, Codes, Errno, errnoOf } = require('./errors')
const { INFINITE_RETRIES } = require('./options')

/** The bytes the runtime counts besides topic and payload in its send and receive buffers. */
const HEADER_BYTES = 9

/** @param {any} message @returns {Buffer | null} */
function payloadOf (message) {
  if (typeof message === 'string') return Buffer.from(message)
  if (message instanceof ArrayBuffer) return Buffer.from(message)
  if (ArrayBuffer.isView(message)) return Buffer.from(message.buffer, message.byteOffset, message.byteLength)
  return null
}

/** @param {Buffer} b */
const toArrayBuffer = (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)

/** `[options][, callback]` as the runtime's methods take them. @param {any} a @param {any} b */
function optionsAndCallback (a, b) {
  if (typeof a === 'function') return { options: undefined, cb: a, ok: b === undefined }
  const ok = (a === undefined || a === null || typeof a === 'object') && (b === undefined || typeof b === 'function')
  return { options: a ?? undefined, cb: typeof b === 'function' ? b : undefined, ok }
}

/** @param {any} qos */
const validQos = (qos) => qos === undefined || qos === 0 || qos === 1 || qos === 2

class DeviceClient {
  /**
   * @param {ReturnType<typeof import('./options').parseDeviceOptions> & {}} s
   * @param {{ ca?: string, cert?: string, key?: string }} tls the `mqtt.set` values now
   */
  constructor (s, tls) {
    this._s = s
    /** @type {Map<string, Function[]>} */
    this._listeners = new Map()
    this._errno = Errno.OK
    /** @type {'connecting' | 'connected' | 'waiting' | 'idle' | 'dropping' | 'ended'} */
    this._state = 'connecting'
    this._firstAttempt = true
    /** Automatic retries since the last successful connection. */
    this._retries = 0
    /** @type {any} */
    this._timer = null
    /** @type {any} */
    this._attemptError = null
    /** @type {Map<string, boolean>} subscribed filters and whether each asked for ArrayBuffers */
    this._subs = new Map()
    /** @type {any} */
    const opts = {
      protocol: s.secure ? 'mqtts' : 'mqtt',
      host: s.host,
      port: s.port,
      keepalive: s.keepalive,
      clientId: s.clientId,
      protocolId: s.protocolId,
      protocolVersion: s.protocolVersion,
      connectTimeout: s.connectTimeout,
      username: s.username,
      password: s.password,
      clean: true,
      // This class reconnects, as the runtime does; subscriptions are the script's to renew.
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false
    }
    if (s.secure) {
      opts.rejectUnauthorized = true
      if (tls.ca !== undefined) opts.ca = tls.ca
      if (tls.cert !== undefined) opts.cert = tls.cert
      if (tls.key !== undefined) opts.key = tls.key
    }
    this._c = connect(opts)
    this._c.on('connect', (connack) => this._onConnect(connack))
    this._c.on('error', (err) => this._onError(err))
    this._c.on('close', () => this._onClose())
    this._c.on('message', (topic, payload) => this._onMessage(topic, payload))
  }

  /** Registers a handler for connect, reconnect, close, error, end or message. */
  on (/** @type {string} */ event, /** @type {Function} */ callback) {
    if (typeof event !== 'string' || typeof callback !== 'function') return
    const list = this._listeners.get(event)
    if (list) list.push(callback)
    else this._listeners.set(event, [callback])
  }

  /** @param {string} event @param {...any} args */
  _emit (event, ...args) {
    const list = this._listeners.get(event)
    if (!list) return
    for (const f of list.slice()) f.apply(this, args)
  }

  /** @param {any} connack */
  _onConnect (connack) {
    if (this._state === 'ended') return
    this._state = 'connected'
    this._firstAttempt = false
    this._retries = 0
    this._errno = Errno.OK
    this._emit('connect', connack)
  }

  /** @param {any} err */
  _onError (err) {
    if (this._state === 'connecting') this._attemptError = err
    else if (this._state === 'connected') this._emit('error', new MqttError(Codes.OTHER, err))
  }

  _onClose () {
    const state = this._state
    if (state === 'ended' || state === 'waiting' || state === 'idle') return
    if (state === 'connected' || state === 'dropping') {
      this._state = 'idle'
      if (state === 'connected') this._retryIfAllowed()
      this._emit('close')
      return
    }
    // A connection attempt failed.
    const err = this._attemptError
    this._attemptError = null
    this._errno = errnoOf(err, this._s.secure)
    this._state = 'idle'
    this._firstAttempt = false
    this._retryIfAllowed()
    this._emit('error', new MqttError(Codes.CONNECTION_FAILED, err))
  }

  _retryIfAllowed () {
    const n = this._s.reconnectCount
    if (n === INFINITE_RETRIES || this._retries < n) {
      this._retries++
      this._schedule()
    }
  }

  _schedule () {
    this._state = 'waiting'
    this._timer = setTimeout(() => this._attempt(), this._s.reconnectPeriod)
  }

  _attempt () {
    this._timer = null
    if (this._state !== 'waiting') return
    this._state = 'connecting'
    this._emit('reconnect')
    if (this._state !== 'connecting') return // a handler ended the client
    const c = this._c
    c.reconnect({ incomingStore: c.incomingStore, outgoingStore: c.outgoingStore })
  }

  /** @param {string} topic @param {Buffer} payload */
  _onMessage (topic, payload) {
    if (Buffer.byteLength(topic) + payload.length + HEADER_BYTES > this._s.recvBuffSize) return
    let bin = false
    for (const [filter, wantsBin] of this._subs) {
      if (wantsBin && topicMatches(filter, topic)) {
        bin = true
        break
      }
    }
    this._emit('message', topic, bin ? toArrayBuffer(payload) : payload.toString())
  }

  /**
   * A request refused at once: returned, and given to the callback too (on the next tick).
   * @param {number} code @param {Function | undefined} cb
   */
  _refuse (code, cb) {
    const e = new MqttError(code)
    if (cb) process.nextTick(cb, e)
    return e
  }

  /**
   * The outcome of a request: to its callback, or as an 'error' event when the request
   * failed and nobody asked.
   * @param {Function | undefined} cb @param {number} code
   */
  _report (cb, code) {
    if (cb) cb(new MqttError(code))
    else if (code !== Codes.OK) this._emit('error', new MqttError(code))
  }

  /**
   * @param {any} topic @param {any} message @param {any} [options] @param {any} [callback]
   * @returns {MqttError | undefined}
   */
  publish (topic, message, options, callback) {
    const { options: o, cb, ok } = optionsAndCallback(options, callback)
    const payload = payloadOf(message)
    if (!ok || validateTopic(topic) || !payload || (o && !validQos(o.qos))) return this._refuse(Codes.ILLEGAL_ARGUMENT, cb)
    if (Buffer.byteLength(topic) + payload.length + HEADER_BYTES > this._s.sendBuffSize) return this._refuse(Codes.ILLEGAL_ARGUMENT, cb)
    if (this._state !== 'connected') return this._refuse(Codes.DISCONNECTED, cb)
    const opts = { qos: o?.qos ?? 0, retain: Boolean(o?.retain), dup: Boolean(o?.dup) }
    this._c.publish(topic, payload, opts, (/** @type {any} */ err) => this._report(cb, err ? Codes.PUBLISH_FAILED : Codes.OK))
    return undefined
  }

  /**
   * @param {any} topic @param {any} [options] @param {any} [callback]
   * @returns {MqttError | undefined}
   */
  subscribe (topic, options, callback) {
    const { options: o, cb, ok } = optionsAndCallback(options, callback)
    if (!ok || validateFilter(topic) || (o && !validQos(o.qos))) return this._refuse(Codes.ILLEGAL_ARGUMENT, cb)
    if (this._state !== 'connected') return this._refuse(Codes.DISCONNECTED, cb)
    const had = this._subs.get(topic)
    this._subs.set(topic, Boolean(o?.bin))
    this._c.subscribe(topic, { qos: o?.qos ?? 0 }, (/** @type {any} */ err, /** @type {any} */ granted) => {
      const refused = err || !granted || granted.some((/** @type {any} */ g) => g.qos === 128)
      if (refused) {
        if (had === undefined) this._subs.delete(topic)
        else this._subs.set(topic, had)
      }
      this._report(cb, refused ? Codes.SUBSCRIBE_FAILED : Codes.OK)
    })
    return undefined
  }

  /**
   * @param {any} topic @param {any} [callback]
   * @returns {MqttError | undefined}
   */
  unsubscribe (topic, callback) {
    const cb = typeof callback === 'function' ? callback : undefined
    if (validateFilter(topic) || (callback !== undefined && !cb)) return this._refuse(Codes.ILLEGAL_ARGUMENT, cb)
    if (this._state !== 'connected') return this._refuse(Codes.DISCONNECTED, cb)
    this._c.unsubscribe(topic, (/** @type {any} */ err) => {
      if (!err) this._subs.delete(topic)
      this._report(cb, err ? Codes.UNSUBSCRIBE_FAILED : Codes.OK)
    })
    return undefined
  }

  /**
   * Disconnects for good: 'end' now, the callback once the connection is released (after
   * the broker acknowledged the QoS 1 and 2 messages in flight, when connected).
   * @param {any} [callback]
   */
  end (callback) {
    const cb = typeof callback === 'function' ? callback : undefined
    if (this._state === 'ended') {
      if (cb) setImmediate(cb)
      return
    }
    this._state = 'ended'
    clearTimeout(this._timer)
    this._timer = null
    this._emit('end')
    this._c.end(false, () => { if (cb) cb() })
  }

  /**
   * Starts a reconnection after `reconnectPeriod`; while connected it disconnects first. Does
   * nothing while a reconnection is under way or after end().
   */
  reconnect () {
    const state = this._state
    if (state === 'idle') {
      this._schedule()
    } else if (state === 'connected') {
      this._state = 'dropping'
      this._c.end(true, () => {
        if (this._state === 'dropping') this._state = 'idle'
        if (this._state === 'idle') this._schedule()
      })
    }
  }

  isConnected () { return this._state === 'connected' }
  isReconnecting () {
    return this._state === 'waiting' || this._state === 'dropping' || (this._state === 'connecting' && !this._firstAttempt)
  }

  canPublish () { return this._state === 'connected' }

  /** `get('errnoConnect')`: how the last connection attempt ended; undefined for other names. */
  get (/** @type {any} */ name) {
    return name === 'errnoConnect' ? this._errno : undefined
  }
}

module.exports = { DeviceClient, HEADER_BYTES }
