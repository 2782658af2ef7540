// @ts-check
'use strict'

// MqttClient: MQTT.js's client surface over the native engine. This file adapts
// arguments, options, events and errors; protocol decisions (packet ids, resends,
// keepalive, acks' timing) are made in Rust (src/session).

const { EventEmitter } = require('node:events')
const native = require('./native')
const runtime = require('./runtime')
const debugLog = require('./debug-log')
const { tlsOptions, wsOptions, socksOptions, transformedWsBuilder, nodeTlsBuilder } = require('./transport-options')

const { fast } = native
const { writePacket, TapeBuilder } = require('./packet-tape')
const { Store } = require('./store')
const { DefaultMessageIdProvider } = require('./message-id')
const { nativeError, ErrorWithSubackPacket, ErrorWithReasonCode } = require('./errors')
const { validateTopic, firstInvalidFilter } = require('./validate')
const { nextServer } = require('./options')
const { buildStream } = require('./js-stream')
const { runBatches } = require('./native-events')
const { NativeStream } = require('./native-stream')
const { KeepaliveManager } = require('./keepalive-manager')

const VERSION = require('../package.json').mqttjsVersion || '5.16.0'

/** Marks a stream builder this client chose itself (chosen again at each connect). */
const BUILT_IN = Symbol('mqtt-napi built-in stream builder')

/** MQTT.js's defaults, written into the options object the client keeps. */
const DEFAULTS = {
  keepalive: 60,
  reschedulePings: true,
  protocolId: 'MQTT',
  protocolVersion: 4,
  reconnectPeriod: 1000,
  connectTimeout: 30 * 1000,
  clean: true,
  resubscribe: true,
  subscribeBatchSize: null,
  writeCache: true,
  timerVariant: 'auto'
}

function defaultId () {
  return `mqttjs_${Math.random().toString(16).slice(2, 10).padEnd(8, '0')}`
}

const noop = () => {}

/** Where packets are written for the native calls, shared by all clients: each use is
 * written and handed over in one synchronous step, with no user code between. */
const sharedTape = new TapeBuilder()

/** MQTT.js's default `customHandleAcks`: every message accepted (reason code 0). @param {any[]} args */
const acceptMessage = (...args) => args[3](null, 0)

/** The client's listener table (`_events`): an object whose prototype has no prototype, as
 * EventEmitter once made it. EventEmitter's own `{ __proto__: null }` is a V8 dictionary
 * (~270 B); this one keeps fast properties while listeners are only added (~1/3 of it),
 * and reads the same (no inherited names). */
function ListenerTable () {}
ListenerTable.prototype = Object.create(null)

/** @this {any} @param {string | symbol} event */
function onNewListener (event) { this._updateObserve(event, 1) }
/** @this {any} @param {string | symbol} event */
function onRemoveListener (event) { this._updateObserve(event, 0) }
/** The client's own 'close' listener. @this {any} */
function onClose () {
  this.log('close :: connected set to `false`')
  this.connected = false
  this.log('close :: clearing connackTimer')
  clearTimeout(this.connackTimer)
  this._destroyKeepaliveManager()
  this.log('close :: calling _setupReconnect')
  this._setupReconnect()
}
/** What was queued during this turn goes out in one write. @param {any} client */
function flushWrites (client) {
  client._flushQueued = false
  if (client._h) fast.clientFlush(client._h)
}
/** How much later than the JS connect timeout the native core gives up on its own. */
/**
 * The largest packet the client takes from a server unless `properties.maximumPacketSize`
 * (MQTT 5, also told to the server) or `maxPacketSize` says otherwise (up to MQTT's own
 * 256 MiB): a larger one is refused from its fixed header, before it is buffered. MQTT.js
 * has no limit (a length claiming 256 MiB is read in full before anything is decided).
 */
const DEFAULT_MAX_PACKET_SIZE = 64 * 1024 * 1024

const NATIVE_CONNECT_TIMEOUT_MARGIN = 1000

/** MQTT.js's first lines of a client. @param {any} client */
function logOptions (client) {
  const o = client.options
  client.log('MqttClient :: version:', VERSION)
  client.log('MqttClient :: environment', 'node')
  client.log('MqttClient :: options.protocol', o.protocol)
  client.log('MqttClient :: options.protocolVersion', o.protocolVersion)
  client.log('MqttClient :: options.username', o.username)
  client.log('MqttClient :: options.keepalive', o.keepalive)
  client.log('MqttClient :: options.reconnectPeriod', o.reconnectPeriod)
  client.log('MqttClient :: options.rejectUnauthorized', o.rejectUnauthorized)
  client.log('MqttClient :: options.properties.topicAliasMaximum', o.properties ? o.properties.topicAliasMaximum : undefined)
  client.log('MqttClient :: clientId', o.clientId)
  client.log('MqttClient :: setting up stream')
}

/** MQTT.js's lines of a publish. @param {any} client @param {string} topic @param {any} message @param {number} qos */
function logPublish (client, topic, message, qos) {
  client.log('publish :: message `%s` to topic `%s`', message, topic)
  client.log('publish :: qos', qos)
  client.log('MqttClient:publish: packet cmd: %s', 'publish')
}

/** Reason codes of protocol errors MQTT.js 5.16 reports after dropping the connection. */
const FORCED_CODES = new Set([130, 147, 148, 149])

class MqttClient extends EventEmitter {
  /**
   * @param {any} streamBuilder `(client) => Duplex`, called for every connection attempt (a
   *   custom transport whose bytes still go through the native session); null for the
   *   native transports of mqtt.connect
   * @param {any} options
   */
  constructor (streamBuilder, options) {
    super()
    this._events = new ListenerTable()
    // As MQTT.js: the options object given is the one kept, defaults written into it; it
    // is read again at every (re)connect (a rotated password, a new will, reconnectPeriod).
    this.options = options || {}
    /** @type {any} */
    const o = this.options
    this._protocolIdGiven = o.protocolId !== undefined
    for (const k of Object.keys(DEFAULTS)) {
      if (o[k] === undefined) o[k] = /** @type {any} */ (DEFAULTS)[k]
    }
    // As MQTT.js: the `log` option, else `debug`'s mqttjs:client. `_logs`: lines are made
    // at all (the per-message ones are skipped when off, nothing formatted).
    this.log = typeof o.log === 'function' ? o.log : debugLog.client
    this._logs = this.log !== debugLog.client || debugLog.client.enabled
    /** The native side's lines are wanted (set per native client, see _startNative). */
    this._nativeLogs = false
    o.clientId = typeof o.clientId === 'string' ? o.clientId : defaultId()
    o.customHandleAcks = o.protocolVersion === 5 && o.customHandleAcks
      ? o.customHandleAcks
      : acceptMessage
    this.streamBuilder = streamBuilder
    this.messageIdProvider = o.messageIdProvider === undefined ? new DefaultMessageIdProvider() : o.messageIdProvider
    this.outgoingStore = o.outgoingStore || new Store()
    this.incomingStore = o.incomingStore || new Store()
    this.queueQoSZero = o.queueQoSZero === undefined ? true : o.queueQoSZero
    this.connected = false
    this.disconnecting = false
    this.disconnected = false
    this.reconnecting = false
    /** @type {any} MQTT.js's reconnect timer (an interval), set while waiting to reconnect. */
    this.reconnectTimer = null
    /** A refused CONNACK stops reconnecting (MQTT.js 5.16); connect() clears it. */
    this.reconnectSuppressed = false
    /** @type {any} The properties of the last CONNACK (MQTT 5). */
    this._serverProperties = undefined
    /** @type {Array<{packet: any, cb: Function}>} */
    this.queue = []
    /** @type {Record<number, {volatile: boolean, cmd: string, cb: Function}>} */
    this.outgoing = {}
    /** @type {Record<number, any>} */
    this.messageIdToTopic = {}
    /** QoS 0 callbacks waiting for their bytes to be written, by write mark (ascending). */
    this._writeWaiters = []
    /** @type {Record<string, any>} */
    this._resubscribeTopics = {}
    /** @type {Map<number, string> | null} Incoming topic aliases of this connection (MQTT 5), made at the first. */
    this._aliasRecv = null
    this._firstConnection = true
    /** @type {any} */
    this.connackPacket = null
    /** @type {any} */
    this._native = null
    /** Handle of the native client for the per-message calls (native.client*). */
    this._h = 0
    /** @type {any} client.stream: a JS Duplex the client was given, or the NativeStream standing for a
     * native connection, made when a program first reads `client.stream` (most never do). */
    this._stream = null
    /** @type {Array<{t: Uint32Array, bytes: Buffer, large: any, i: number}>} */
    this._batches = []
    /** @type {any} The Duplex of the current connection, with a streamBuilder. */
    this._jsStream = null
    /** @type {any} The Duplex built for the attempt that starts, until the driver asks for it. */
    this._nextStream = null
    /** Counts connection attempts. */
    this._attempts = 0
    /** @type {(() => void) | null} end() waiting for in-flight messages: finishes it. */
    this._endWaiting = null
    /** @type {((err?: any) => void) | null} */
    this._cleanUpDone = null
    /** @type {(() => void) | null} */
    this._deferredReconnect = null
    /** An overridden handleMessage has not called back yet: the next packets wait. */
    this._awaitingHandle = false
    /** Events were announced while waiting: drain them when handleMessage calls back. */
    this._drainWaiting = false
    this.connackTimer = null
    /** @type {KeepaliveManager | null} MQTT.js's keepalive timer, while connected. */
    this.keepaliveManager = null
    this._forcedEnd = false
    // packetsend/packetreceive for packets the native side writes or reads cost a copy
    // each: they are reported only while someone listens.
    this._observe = { sent: false, received: false }
    this._flushQueued = false
    // Functions shared by all clients (`this` is the client): thousands of clients in one
    // process would each hold their own closures otherwise.
    this.on('newListener', onNewListener)
    this.on('removeListener', onRemoveListener)
    // As MQTT.js, the client's own 'close' listener comes first: it sets up the reconnect
    // (emitting 'offline') before the application's listeners run.
    this.on('close', onClose)
    if (this._logs) logOptions(this)
    if (!o.manualConnect) this.connect()
  }

  static defaultId () { return defaultId() }

  /**
   * MQTT 5 enhanced authentication: called with each AUTH the broker sends; answer a
   * "continue authentication" (24) with `callback(null, nextAuthPacket)`. As MQTT.js's,
   * the default answers nothing.
   * @param {any} packet @param {(err?: Error | null, packet?: any) => void} callback
   */
  handleAuth (packet, callback) { callback() }

  /** The properties of the broker's CONNACK (MQTT 5): its limits, as MQTT.js 5.16 offers them. */
  get serverProperties () { return this._serverProperties }

  static get VERSION () { return VERSION }

  /** @param {string | symbol} event @param {number} adding 1 from newListener (not yet counted) */
  _updateObserve (event, adding) {
    if (event !== 'packetsend' && event !== 'packetreceive') return
    this._observe = {
      sent: this.listenerCount('packetsend') + (event === 'packetsend' ? adding : 0) > 0,
      received: this.listenerCount('packetreceive') + (event === 'packetreceive' ? adding : 0) > 0
    }
    this._observeNative()
  }

  /** Which packets the native side reports: those listened for, or all while logging. */
  _observeNative () {
    const all = !!this._nativeLogs
    this._native?.observe(this._observe.sent || all, this._observe.received || all)
  }

  /** A line of the native side (see debug-log.js). @param {string} line */
  _nativeLog (line) {
    if (typeof this.options.log === 'function') this.log('native :: %s', line)
    else debugLog.native('(%s) %s', this.options.clientId, line)
  }

  /**
   * Opens a connection (automatic unless `manualConnect`), reading the options anew: the
   * CONNECT (credentials, clientId, keepalive, will, properties) and the server to use.
   */
  connect () {
    const o = this.options
    this._logs = this.log !== debugLog.client || debugLog.client.enabled
    this.reconnectSuppressed = false
    this._forcedEnd = false
    this._serverProperties = undefined
    this.log('connect :: calling method to clear reconnect')
    this._clearReconnect()
    if (this.disconnected && !this.reconnecting) {
      this.incomingStore = o.incomingStore || new Store()
      this.outgoingStore = o.outgoingStore || new Store()
      this.disconnecting = false
      this.disconnected = false
    }
    this._attempts++
    const server = nextServer(this, o)
    if (!this.streamBuilder || this.streamBuilder[BUILT_IN]) {
      const builder = transformedWsBuilder(o) || nodeTlsBuilder(o)
      this.streamBuilder = builder && Object.assign(builder, { [BUILT_IN]: true })
    }
    if (typeof this.streamBuilder === 'function') {
      this.log('connect :: using streamBuilder provided to client to create stream')
      // As MQTT.js: the stream is built now; a builder that throws throws here.
      buildStream(this)
    }
    if (o.properties && !o.properties.authenticationMethod && o.properties.authenticationData) {
      this.end(() => this.emit('error', new Error('Packet has no Authentication Method')))
      return this
    }
    const b = sharedTape
    const connect = this._connectPacket()
    this.log('connect: sending packet `connect`')
    if (this._logs) this.log('_writePacket :: packet: %O', connect)
    writePacket(b, connect, { protocolVersion: o.protocolVersion })
    // MQTT 5 enhanced authentication: an AUTH goes right after each CONNECT (a second tape
    // record); the broker's AUTH packets go to handleAuth (handlers/auth.js).
    this._authenticationMethod = o.protocolVersion === 5 ? o.properties?.authenticationMethod : undefined
    let auth
    if (this._authenticationMethod && o.authPacket && typeof o.authPacket === 'object') {
      auth = { cmd: 'auth', reasonCode: 0, ...o.authPacket }
      writePacket(b, auth, { protocolVersion: 5 }, true)
    }
    // As MQTT.js, the connect timeout is a JS timer (programs' fake timers drive it); the
    // native core's own deadline, a little later, covers a blocked event loop.
    clearTimeout(this.connackTimer)
    this.connackTimer = setTimeout(() => this._onConnackTimeout(), o.connectTimeout)
    const nat = this._native
    if (nat) {
      // The session carries on (in-flight flows, packet ids); only the CONNECT and the
      // server are new.
      nat.reconnect(server.host, server.port, b.t.subarray(0, b.n), b.data.subarray(0, b.pos))
    } else {
      this._startNative(server, b.t.subarray(0, b.n), b.data.subarray(0, b.pos))
    }
    // As MQTT.js, which writes the CONNECT within connect(): reported now (after the
    // shared tape has been used, as a listener may send on another client).
    // The password as given (MQTT.js reports its own CONNECT object, a string stays one).
    if (this.listenerCount('packetsend') > 0) this.emit('packetsend', typeof o.password === 'string' ? { ...connect, password: o.password } : connect)
    if (auth) this.emit('packetsend', auth)
    return this
  }

  /** The CONNECT for this attempt, from the options as they are now. */
  _connectPacket () {
    const o = this.options
    return {
      cmd: 'connect',
      // MQTT 3.1 is named MQIsdp: a 3.1 CONNECT named MQTT (MQTT.js's default name) is
      // refused by brokers, so the name follows the level unless given.
      protocolId: o.protocolVersion === 3 && o.protocolId === 'MQTT' && !this._protocolIdGiven ? 'MQIsdp' : o.protocolId,
      protocolVersion: o.protocolVersion,
      clean: o.clean,
      clientId: o.clientId,
      keepalive: o.keepalive,
      username: o.username,
      password: typeof o.password === 'string' ? Buffer.from(o.password) : o.password,
      will: o.will ? { ...o.will, payload: o.will.payload ?? '' } : undefined,
      properties: o.properties
    }
  }

  /**
   * @param {{host: string, port: number}} server
   * @param {Uint32Array} tape @param {Buffer} data the CONNECT's tape record
   */
  _startNative (server, tape, data) {
    const o = this.options
    this._native = new native.NativeClient({
      host: server.host,
      port: server.port,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeout + NATIVE_CONNECT_TIMEOUT_MARGIN,
      // connackTimer's: an attempt still waiting at the opening gate when it has run out is
      // not opened (this thread runs the timers one by one, the gate lets others through).
      appConnectTimeout: o.connectTimeout,
      reschedulePings: o.reschedulePings !== false,
      jsKeepalive: !o.nativeKeepalive,
      holdQueue: true,
      queueQosZero: this.queueQoSZero !== false,
      resubscribe: o.resubscribe !== false,
      maxPacketSize: o.properties?.maximumPacketSize || o.maxPacketSize || DEFAULT_MAX_PACKET_SIZE,
      firstPacketId: Math.max(1, Math.floor(Math.random() * 65535)),
      autoUseTopicAlias: !!o.autoUseTopicAlias,
      autoAssignTopicAlias: !!o.autoAssignTopicAlias,
      tls: tlsOptions(o),
      ws: wsOptions(o),
      socks: this.streamBuilder ? undefined : socksOptions(o),
      unixPath: o.unixSocket ? String(o.path || '') : undefined,
      jsStream: typeof this.streamBuilder === 'function',
      appReconnects: true
    }, tape, data)
    const nat = this._native
    this._h = nat.handle()
    // The native side's lines (mqttjs:native, or the `log` option); its packets in and out
    // are logged from the packetsend/packetreceive reports.
    this._nativeLogs = typeof o.log === 'function' || debugLog.native.enabled
    if (this._nativeLogs) nat.setLog(true)
    this._observeNative()
    // The connection is opened on the next tick, as Node's net.connect does: a server that
    // a program starts listening right after connect() is there for the first attempt.
    this._restoreStored(nat, () => process.nextTick(() => {
      if (this._native !== nat) return
      // Called whenever events wait; plain TCP is read on this thread when libuv allows
      // it (src/binding/notifier.rs, poll.rs).
      fast.clientAttach(this._h, () => this._drain(), runtime.name === 'node')
      nat.start()
    }))
  }

  /** Stops and forgets the native client (its session ends with it). */
  _abandonNative () {
    clearTimeout(this.connackTimer)
    const nat = this._native
    if (!nat) return
    this._native = null
    this._h = 0
    nat.dispose()
  }

  /**
   * As MQTT.js resends what its outgoingStore holds at connect, hands the stored QoS 1/2
   * PUBLISH and PUBREL packets not already in flight to the native session (resent first,
   * PUBLISH with DUP), then calls `done`. An empty built-in Store is skipped synchronously.
   * @param {any} nat @param {() => void} done
   */
  _restoreStored (nat, done) {
    const store = this.outgoingStore
    // Skipped only for the base class's own storage, empty: a subclass that keeps its packets
    // elsewhere (a file or database store) is read as MQTT.js reads it, at every connect.
    if (store instanceof Store && store.createStream === Store.prototype.createStream && store._isEmpty()) return done()
    let finished = false
    const finish = () => { if (!finished) { finished = true; done() } }
    let stream
    try {
      stream = store.createStream()
    } catch (err) {
      this.emit('error', err)
      return finish()
    }
    stream.on('data', (packet) => this._restoreOne(nat, packet))
    stream.once('end', finish)
    stream.once('close', finish)
    stream.once('error', (err) => {
      this.emit('error', err)
      finish()
    })
  }

  /** @param {any} nat @param {any} packet */
  _restoreOne (nat, packet) {
    const id = packet?.messageId
    // The native client is new: nothing of the store is in flight there yet. A flow this
    // client still waits for (after end() then reconnect()) keeps its callback.
    if (!id || (packet.cmd !== 'publish' && packet.cmd !== 'pubrel')) return
    if (packet.cmd === 'publish' && !(packet.qos > 0)) return
    const b = sharedTape
    let restored = false
    try {
      const payload = writePacket(b, packet, this.options)
      restored = nat.restore(b.t.subarray(0, b.n), b.data.subarray(0, b.pos), payload || EMPTY)
    } catch (err) {
      this.log('outgoingStore: cannot resend packet %d: %s', id, err.message)
      return
    }
    if (!restored) return this.log('messageId: %d has already used.', id)
    if (!(this.messageIdProvider instanceof DefaultMessageIdProvider)) this.messageIdProvider.register?.(id)
    this.outgoing[id] = this.outgoing[id] || { volatile: false, cmd: packet.cmd, cb: noop }
  }

  _drain () {
    if (!this._native) return
    if (this._awaitingHandle) {
      this._drainWaiting = true
      return
    }
    const [t, bytes, large] = native.clientDrain(this._h)
    this._batches.push({ t, bytes, large, i: 0 })
    this._runBatches()
  }
  _runBatches () { runBatches(this) }

  /** MQTT.js's default callback, bound to this client: made at its first use (an idle
   * client never needs one). */
  get noop () {
    const f = (/** @type {any} */ err) => { if (err) this.log('noop ::', err) }
    this.noop = f
    return f
  }

  set noop (f) { Object.defineProperty(this, 'noop', { value: f, writable: true, configurable: true, enumerable: true }) }

  /** The connection's stream, as MQTT.js's `client.stream`. */
  get stream () {
    this._stream ??= new NativeStream(this)
    return this._stream
  }

  set stream (s) { this._stream = s }


  /** The keepalive in force (seconds): the broker's Server Keep Alive while connected (MQTT 5), else the option. */
  get keepalive () {
    const server = this.connected ? this._serverProperties?.serverKeepAlive : undefined
    return server && this.options.keepalive ? server : this.options.keepalive
  }

  _setupKeepaliveManager () {
    this.log('_setupKeepaliveManager :: keepalive %d (seconds)', this.keepalive)
    // With nativeKeepalive (an extension) the native session pings and times out alone.
    if (!this.keepaliveManager && this.keepalive && !this.options.nativeKeepalive) {
      this.keepaliveManager = new KeepaliveManager(this, this.options.timerVariant)
    }
  }

  _destroyKeepaliveManager () {
    if (this.keepaliveManager) {
      this.log('_destroyKeepaliveManager :: destroying keepalive manager')
      this.keepaliveManager.destroy()
      this.keepaliveManager = null
    }
  }

  /** Starts the keepalive count again: on acks with `reschedulePings`, always on PINGRESP. */
  reschedulePing (force = false) {
    if (this.keepaliveManager && this.keepalive && (force || this.options.reschedulePings)) {
      this._reschedulePing()
    }
  }

  _reschedulePing () {
    if (this._logs) this.log('_reschedulePing :: rescheduling ping')
    this.keepaliveManager?.reschedule()
  }

  /** Sends a PINGREQ (the keepalive timer's second tick). */
  sendPing () {
    if (!this._native) return
    this.log('_sendPing :: sending pingreq')
    if (this._observe.sent && this.connected) this.emit('packetsend', { cmd: 'pingreq' })
    this._native.ping()
  }

  /** Before the keepalive timer gives up: the native side's queued events (a PINGRESP read
   * while this thread was blocked) are handled first. */
  _beforeKeepaliveTimeout () {
    this._drain()
  }

  /** No PINGRESP in time (the keepalive timer's third tick): as MQTT.js 5.16, the
   * connection is dropped (reconnecting as after a loss), then the error. */
  onKeepaliveTimeout () {
    this.log('onKeepaliveTimeout :: calling _cleanUp with force true')
    this._forcedCleanUp()
    this.emit('error', new Error('Keepalive timeout'))
  }

  /** MQTT.js's _flush: what waits for an ack fails (a forced clean-up that will not reconnect). */
  _flush () {
    this._failPending(new Error('Connection closed'))
  }

  /** A successful CONNACK (handlers/connack.js). @param {any} packet */
  _onConnect (packet) {
    if (this.disconnected) {
      this.emit('connect', packet)
      return
    }
    this.connackPacket = packet
    this.messageIdProvider.clear?.()
    // As MQTT.js registers each stored packet it resends: the flows the session resends keep
    // their ids (a unique provider must not hand them out again).
    if (this.messageIdProvider.register) {
      for (const id of Object.keys(this.outgoing)) this.messageIdProvider.register(Number(id))
    }
    this.connected = true
    this._setupKeepaliveManager()
    this._firstConnection = false
    // The offline queue (then the resubscription) goes out now, as MQTT.js's first
    // `connect` listener sends it: empty for the program's listeners. As MQTT.js calls a
    // queued publish's callback once the socket has taken the packet, before the peer can
    // have it, these callbacks come before any I/O is handled.
    this.log('connect :: sending queued packets')
    this._native?.releaseQueue()
    const queued = this.queue
    this.queue = []
    if (this._logs && this.options.resubscribe !== false && Object.keys(this._resubscribeTopics).length > 0) this.log('_resubscribe')
    for (const q of queued) process.nextTick(q.cb)
    this.emit('connect', packet)
  }

  /** The acks this client sends for incoming messages, written with the turn's flush. */
  _acker () {
    const h = this._h
    const flush = () => this._scheduleFlush()
    /** @param {string} cmd @param {number} id @param {number} [code] */
    const log = (cmd, id, code) => { if (this._logs) this.log('_writePacket :: packet: %O', code === undefined ? { cmd, messageId: id } : { cmd, messageId: id, reasonCode: code }) }
    return {
      /** @param {number} id @param {number} code */
      puback (id, code) { if (h) { log('puback', id, code); fast.clientAck(h, id, 1, code); flush() } },
      /** @param {number} id @param {number} code */
      pubrec (id, code) { if (h) { log('pubrec', id, code); fast.clientAck(h, id, 2, code); flush() } },
      /** @param {number} id */
      pubcomp (id) { if (h) { log('pubcomp', id); fast.clientComplete(h, id); flush() } }
    }
  }

  /** Calls `cb` once every byte queued so far is written (as a socket write callback). */
  _afterWrite (cb) {
    const mark = this._h ? fast.clientWriteMark(this._h) : 0
    if (mark === 0) process.nextTick(cb)
    else this._writeWaiters.push({ mark, cb })
  }

  /** @param {number} upto @param {boolean} dropped */
  _onWritten (upto, dropped) {
    const w = this._writeWaiters
    let n = 0
    while (n < w.length && w[n].mark <= upto) n++
    if (n === 0) return
    const done = w.splice(0, n)
    callEach(done, dropped ? new Error('Connection closed before the message was written') : undefined)
  }

  /** As MQTT.js's: the connection is dropped (forced clean-up), then the error. */
  _onConnackTimeout () {
    if (this.disconnected) return
    this.log('!!connectTimeout hit!! Calling _cleanUp with force `true`')
    this._forcedCleanUp()
    this.emit('error', new Error('connack timeout'))
  }

  /** MQTT.js's _cleanUp(true) for a connection that failed: what waits for an ack fails
   * when nothing will reconnect with a clean session; the connection is dropped and the
   * reconnect set up ('offline'); the keepalive timer stops. */
  _forcedCleanUp (drop = true) {
    if (this.options.reconnectPeriod === 0 && this.options.clean) this._flush()
    if (drop) this._native?.dropConnection()
    this._forcedCleanUpReconnect()
    this._destroyKeepaliveManager()
  }

  /** What MQTT.js's _cleanUp(true) does at once: set up the reconnect (emitting 'offline'). */
  _forcedCleanUpReconnect () {
    if (this.disconnecting || this.reconnecting) return
    this._clearReconnect()
    this._setupReconnect()
  }

  /** @param {string} code @param {string} message @param {number} [reason] MQTT reason code MQTT.js reports it with (0: none) */
  _onError (code, message, reason) {
    if (code === 'ERR_MQTT_REFUSED') return // reported from the CONNACK
    const err = nativeError(code, message, reason)
    this.log('streamErrorHandler :: error', err.message)
    // Timeouts and the protocol errors MQTT.js 5.16 answers with a code (130, 147, 148, 149)
    // are a forced clean-up first, in MQTT.js: 'offline' comes before the error.
    if (code === 'ERR_CONNACK_TIMEOUT' || code === 'ERR_KEEPALIVE_TIMEOUT' || FORCED_CODES.has(reason || 0)) {
      // The native side closed that connection itself: nothing to drop.
      this._forcedCleanUp(false)
    }
    // MQTT.js 5 emits every stream error that has a code, ECONNREFUSED included (a client
    // from connect() has an error listener of its own, so nothing is thrown).
    this.log('streamErrorHandler :: emitting error')
    this.emit('error', err)
  }

  /** The connection closed (the native driver now waits for connect() or the end). */
  _onClose () {
    // client.stream stands for the connection: it closes with it, and the next
    // connection gets a fresh one, as MQTT.js builds a new stream per connection.
    const stream = this._stream
    if (stream instanceof NativeStream) {
      this._stream = null
      stream.destroyed = true
      stream.emit('close')
    }
    this.log('(%s)stream :: on close', this.options.clientId)
    this._flushVolatile()
    this._aliasRecv = null
    const attempts = this._attempts
    this.log('stream: emit close to MqttClient')
    this.emit('close')
    if (this._endWaiting) {
      // end() was waiting for in-flight messages, but the connection is gone: finish.
      const finish = this._endWaiting
      this._endWaiting = null
      finish()
      return
    }
    // Nothing will reconnect (reconnectPeriod 0, or reconnectOnConnackError off): the
    // native client is let go, so it holds nothing; connect()/reconnect() starts another.
    if (!this.disconnecting && !this.reconnectTimer && this._attempts === attempts) this._abandonNative()
  }

  /** As MQTT.js, subscribes and unsubscribes waiting for their ack fail when the connection closes. */
  _flushVolatile () {
    this.log('_flushVolatile :: deleting volatile messages from the queue and setting their callbacks as error function')
    for (const id of Object.keys(this.outgoing)) {
      const entry = this.outgoing[/** @type {any} */ (id)]
      if (!entry.volatile) continue
      delete this.outgoing[/** @type {any} */ (id)]
      this._native?.removeOutgoing(Number(id))
      entry.cb(new Error('Connection closed'))
    }
  }

  _setupReconnect () {
    const o = this.options
    if (!this.disconnecting && !this.reconnectSuppressed && !this.reconnectTimer && o.reconnectPeriod > 0) {
      if (!this.reconnecting) {
        this.log('_setupReconnect :: emit `offline` state')
        this.emit('offline')
        this.log('_setupReconnect :: set `reconnecting` to `true`')
        this.reconnecting = true
      }
      this.log('_setupReconnect :: setting reconnectTimer for %d ms', o.reconnectPeriod)
      const jitter = o.reconnectJitter
      if (typeof jitter === 'number' && jitter > 0 && jitter <= 1) {
        // An extension: each wait drawn from reconnectPeriod x (1 +- jitter), so that
        // thousands of clients dropped together do not all come back at the same moment.
        const wait = o.reconnectPeriod * (1 + jitter * (2 * Math.random() - 1))
        this.reconnectTimer = setTimeout(() => this._reconnect(), wait)
      } else {
        this.reconnectTimer = setInterval(() => this._reconnect(), o.reconnectPeriod)
      }
    } else {
      this.log('_setupReconnect :: doing nothing...')
    }
  }

  _clearReconnect () {
    this.log('_clearReconnect : clearing reconnect timer')
    if (this.reconnectTimer) {
      clearInterval(this.reconnectTimer)
      this.reconnectTimer = null
    }
  }

  _reconnect () {
    this.log('reconnectTimer :: reconnect triggered!')
    this.log('_reconnect: emitting reconnect to client')
    this.emit('reconnect')
    if (this.connected) {
      this.log('client already connected. disconnecting first.')
      this.end(() => this.connect())
    } else {
      this.log('_reconnect: calling connect')
      this.connect()
    }
  }

  /** The native driver stopped for good (after end()). */
  _onFinished () {
    this._abandonNative()
    this.connected = false
    const done = this._cleanUpDone
    this._cleanUpDone = null
    if (done) done()
  }

  /** @param {Error} err */
  _failPending (err) {
    const outgoing = this.outgoing
    this.outgoing = {}
    for (const id of Object.keys(outgoing)) outgoing[/** @type {any} */ (id)].cb(err)
    const queued = this.queue.concat(this._writeWaiters)
    this.queue = []
    this._writeWaiters = []
    for (const q of queued) q.cb(err)
  }

  /** As _send, but a refusal goes to `cb` on the next tick; returns null then. */
  _trySend (packet, cb) {
    try {
      return this._send(packet)
    } catch (e) {
      process.nextTick(cb, e)
      return null
    }
  }

  /**
   * packetsend for a packet the application sent: reported here, at once, while connected;
   * offline, the native side reports it when it goes out.
   */
  _reportSent (packet) {
    // With automatic topic aliases the PUBLISH written is chosen natively, which reports it.
    if (packet.cmd === 'publish' && this.options.protocolVersion === 5 && (this.options.autoUseTopicAlias || this.options.autoAssignTopicAlias)) return
    if (this._observe.sent && this.connected) this.emit('packetsend', packet)
  }

  /**
   * Sends a packet object through the native session; returns its messageId. `noFlush`: the
   * bytes wait for a later flush.
   * @param {any} packet @param {boolean} [noFlush]
   */
  _send (packet, noFlush = false) {
    const b = sharedTape
    const payload = writePacket(b, packet, this.options)
    const id = fast.clientSend(this._h, b.t.subarray(0, b.n), b.data.subarray(0, b.pos), payload || EMPTY)
    if (!noFlush) this._scheduleFlush()
    return id
  }

  // What is sent, acknowledged or completed during one turn of the event loop goes out in
  // one write, at the end of that turn (as Node's sockets do with cork/uncork).
  _scheduleFlush () {
    if (this._flushQueued) return
    this._flushQueued = true
    process.nextTick(flushWrites, this)
  }

  /**
   * publish(topic, message, [options], [callback])
   * @param {string} topic @param {string | Buffer} message @param {any} [opts] @param {Function} [callback]
   */
  publish (topic, message, opts, callback) {
    if (typeof opts === 'function') { callback = opts; opts = undefined }
    // MQTT.js throws this at the call for QoS 0 while connected, and later, uncaught, where
    // the callback is stored: here always at the call, before anything is sent or kept.
    if (callback && typeof callback !== 'function') throw new TypeError('cb is not a function')
    const cb = callback || noop
    if (this._checkDisconnecting(cb)) return this
    const qos = opts?.qos ?? 0
    if (this._logs) logPublish(this, topic, message, qos)
    const retain = !!opts?.retain
    const dup = !!opts?.dup
    const properties = opts?.properties
    // A topic seen before is valid and known natively by id (no string crosses again).
    let tid = properties === undefined ? topicIds.get(topic) : undefined
    if (tid === undefined) {
      const err = validateTopic(topic, this.options.protocolVersion === 5 && properties?.topicAlias)
      if (err) { process.nextTick(cb, err); return this }
      if (properties === undefined && topicIds.size < MAX_TOPIC_IDS) tid = rememberTopic(topic)
    }
    if (qos !== 0 && qos !== 1 && qos !== 2) { process.nextTick(cb, new Error('Invalid QoS')); return this }
    let messageId = 0
    if (qos > 0) {
      const given = this._allocateId()
      if (given === null) { process.nextTick(cb, new Error('message id not available')); return this }
      messageId = given
    }
    // The packet object MQTT.js would keep; made only when something needs it.
    // As MQTT.js, a message goes out once the outgoing store has it: with a store of the
    // application's (asynchronous, as a level-db one), its bytes wait for the put.
    const storeFirst = qos > 0 && this.outgoingStore.put !== Store.prototype.put
    /** @type {any} */
    let packet = null
    let id
    try {
      if (properties === undefined && (typeof message === 'string' || Buffer.isBuffer(message) || message == null)) {
        // The fast path: no tape, the parts go straight to the native session.
        const payload = typeof message === 'string' ? Buffer.from(message) : (message ?? EMPTY)
        const flags = qos | (retain ? 4 : 0) | (dup ? 8 : 0)
        id = tid === undefined
          ? fast.clientPublish(this._h, topic, payload, flags, messageId)
          : fast.clientPublishTopic(this._h, tid, payload, flags, messageId)
        if (!storeFirst) this._scheduleFlush()
      } else {
        packet = publishPacket(topic, message, qos, retain, dup, messageId, properties)
        id = this._send(packet, storeFirst)
      }
    } catch (e) {
      // MQTT.js's numeric reason code for a packet the server would not take, and its words
      // for a QoS 0 publish offline with queueQoSZero off.
      const code = /** @type {any} */ (e).code
      const err = code === 'ERR_MQTT_PACKET_TOO_LARGE'
        ? new ErrorWithReasonCode(/** @type {any} */ (e).message, 149)
        : code === 'ERR_MQTT_CLIENT_DISCONNECTED' && qos === 0 && !this.disconnecting ? Object.assign(new Error('No connection to broker'), { code }) : e
      process.nextTick(cb, err)
      return this
    }
    if (qos === 0) {
      if (!this.connected) {
        this.queue.push({ packet: packet || publishPacket(topic, message, qos, retain, dup, messageId, properties), cb })
        if (typeof opts?.cbStorePut === 'function') opts.cbStorePut()
      }
      else if (callback) this._afterWrite(cb)
    } else {
      packet = packet || publishPacket(topic, message, qos, retain, dup, messageId, properties)
      packet.messageId = id
      this.outgoing[id] = { volatile: false, cmd: 'publish', cb }
      const cbStorePut = typeof opts?.cbStorePut === 'function' ? opts.cbStorePut : null
      this.outgoingStore.put(packet, (/** @type {any} */ err) => {
        if (!err) {
          cbStorePut?.()
          // (end(true) from cbStorePut: the message is not sent, as in MQTT.js.)
          if (storeFirst && !this._forcedEnd) this._scheduleFlush()
          return
        }
        // As MQTT.js: a store that cannot keep the message fails the publish.
        const entry = this.outgoing[id]
        if (!entry) return
        delete this.outgoing[id]
        this._native?.removeOutgoing(id)
        entry.cb(err)
      })
    }
    if (this._observe.sent) this._reportSent(packet || publishPacket(topic, message, qos, retain, dup, messageId, properties))
    if (this._logs) {
      if (!this.connected) this.log('_sendPacket :: client not connected. Storing packet offline.')
      this.log('_writePacket :: packet: %O', packet || publishPacket(topic, message, qos, retain, dup, id || undefined, properties))
    }
    return this
  }

  publishAsync (topic, message, opts) {
    return new Promise((resolve, reject) => {
      this.publish(topic, message, opts, (err, packet) => (err ? reject(err) : resolve(packet)))
    })
  }

  _allocateId () {
    // The default provider leaves the choice to the native session (0), which skips ids
    // still in flight; a custom provider (MQTT.js option) decides itself. null: none free.
    if (this.messageIdProvider instanceof DefaultMessageIdProvider) return 0
    return this.messageIdProvider.allocate()
  }

  /**
   * subscribe(topic | topic[] | {topic: qos | opts}, [options], [callback]), as MQTT.js:
   * topics already subscribed at the same or a higher QoS are skipped; `subscribeBatchSize`
   * splits the request into several SUBSCRIBE packets; the callback gets the requests with
   * their granted QoS.
   */
  subscribe (topicObject, opts, callback) {
    const version = this.options.protocolVersion
    if (typeof topicObject === 'string') topicObject = [topicObject]
    if (typeof opts === 'function') { callback = opts; opts = null }
    const cb = callback || this.noop
    let resubscribe = false
    if (topicObject && typeof topicObject === 'object' && !Array.isArray(topicObject) && 'resubscribe' in topicObject) {
      resubscribe = !!topicObject.resubscribe
      topicObject = { ...topicObject }
      delete topicObject.resubscribe
    }
    const invalid = firstInvalidFilter(topicObject)
    if (invalid !== null) {
      setImmediate(cb, new Error(`Invalid topic ${invalid}`))
      return this
    }
    if (this._checkDisconnecting(callback)) return this
    /** @type {any} */
    const base = version === 5 ? { qos: 0, nl: false, rap: false, rh: 0 } : { qos: 0 }
    const o = { ...base, ...(opts || {}) }
    const { properties } = o
    /** @type {any[]} */
    const subs = []
    /** @param {string} topic @param {any} [subOptions] */
    const parseSub = (topic, subOptions) => {
      if (subOptions === undefined) this.log('subscribe: array topic %s', topic)
      else this.log('subscribe: object topic %s, %o', topic, subOptions)
      const so = subOptions === undefined ? o : (typeof subOptions === 'object' ? subOptions : { qos: subOptions })
      if (!Object.hasOwn(this._resubscribeTopics, topic) || this._resubscribeTopics[topic].qos < so.qos || resubscribe) {
        /** @type {any} */
        const sub = { topic, qos: so.qos }
        if (version === 5) {
          sub.nl = so.nl
          sub.rap = so.rap
          sub.rh = so.rh
          sub.properties = properties
        }
        this.log('subscribe: pushing topic `%s` and qos `%s` to subs list', sub.topic, sub.qos)
        subs.push(sub)
      }
    }
    if (Array.isArray(topicObject)) for (const t of topicObject) parseSub(t)
    else for (const t of Object.keys(topicObject)) parseSub(t, topicObject[t])
    if (!subs.length) {
      cb(null, [])
      return this
    }
    const batchSize = this.options.subscribeBatchSize || subs.length
    /** @type {Promise<any>[]} */
    const acks = []
    for (let i = 0; i < subs.length; i += batchSize) {
      const chunk = subs.slice(i, i + batchSize)
      const sent = this._subscribeChunk(chunk, properties, version)
      if (sent instanceof Error) {
        cb(sent)
        return this
      }
      acks.push(sent)
    }
    Promise.all(acks).then(
      (packets) => cb(null, subs, packets[packets.length - 1]),
      (err) => cb(err, subs, err.packet)
    )
    return this
  }

  /**
   * One SUBSCRIBE packet; resolves with its SUBACK (the requests' qos set to the granted
   * ones), rejects with an ErrorWithSubackPacket.
   * @param {any[]} chunk @param {any} properties @param {number} version
   * @returns {Promise<any> | Error}
   */
  _subscribeChunk (chunk, properties, version) {
    const given = this._allocateId()
    if (given === null) return new Error('message id not available')
    const subscriptions = chunk.map((s) => version === 5
      ? { topic: s.topic, qos: s.qos, nl: s.nl || false, rap: s.rap || false, rh: s.rh || 0 }
      : { topic: s.topic, qos: s.qos })
    /** @type {any} */
    const packet = { cmd: 'subscribe', messageId: given, subscriptions }
    if (properties) packet.properties = properties
    this.log('subscribe :: call _sendPacket')
    let id
    try {
      id = this._send(packet)
    } catch (e) {
      return /** @type {Error} */ (e)
    }
    packet.messageId = id
    if (this._logs) this.log('_writePacket :: packet: %O', packet)
    if (this.options.resubscribe) {
      /** @type {string[]} */
      const topics = []
      for (const sub of chunk) {
        if (this.options.reconnectPeriod > 0) {
          /** @type {any} */
          const topic = { qos: sub.qos }
          if (version === 5) {
            topic.nl = sub.nl || false
            topic.rap = sub.rap || false
            topic.rh = sub.rh || 0
            topic.properties = sub.properties
          }
          this._resubscribeTopics[sub.topic] = topic
          topics.push(sub.topic)
        }
      }
      this.messageIdToTopic[id] = topics
    }
    const promise = new Promise((resolve, reject) => {
      this.outgoing[id] = {
        volatile: true,
        cmd: 'subscribe',
        cb: (/** @type {any} */ err, /** @type {any} */ suback) => {
          const topics = this.messageIdToTopic[id]
          delete this.messageIdToTopic[id]
          if (err) {
            if (topics && suback) for (const t of topics) delete this._resubscribeTopics[t]
            reject(new ErrorWithSubackPacket(err.message, suback))
            return
          }
          suback.granted.forEach((/** @type {number} */ g, /** @type {number} */ k) => { if (chunk[k]) chunk[k].qos = g })
          resolve(suback)
        }
      }
    })
    this._reportSent(packet)
    // As MQTT.js, what waits for a connection shows in `queue` (the native session sends it).
    if (!this.connected) this.queue.push({ packet, cb: noop })
    return promise
  }

  subscribeAsync (topicObject, opts) {
    return new Promise((resolve, reject) => {
      this.subscribe(topicObject, opts, (err, granted) => (err ? reject(err) : resolve(granted)))
    })
  }

  /** unsubscribe(topic | topic[], [options], [callback]) */
  unsubscribe (topic, opts, callback) {
    if (typeof opts === 'function') { callback = opts; opts = null }
    const cb = callback || noop
    if (this._checkDisconnecting(cb)) return this
    const unsubscriptions = typeof topic === 'string' ? [topic] : topic
    if (!Array.isArray(unsubscriptions) || unsubscriptions.length === 0) { process.nextTick(cb, new Error('Invalid topic')); return this }
    const given = this._allocateId()
    if (given === null) { process.nextTick(cb, new Error('message id not available')); return this }
    const packet = { cmd: 'unsubscribe', messageId: given, unsubscriptions, properties: opts?.properties }
    this.log('unsubscribe: call _sendPacket')
    const id = this._trySend(packet, cb)
    if (id === null) return this
    packet.messageId = id
    if (this._logs) this.log('_writePacket :: packet: %O', packet)
    for (const t of unsubscriptions) delete this._resubscribeTopics[t]
    this.outgoing[id] = { volatile: true, cmd: 'unsubscribe', cb }
    this._reportSent(packet)
    if (!this.connected) this.queue.push({ packet, cb: noop })
    return this
  }

  unsubscribeAsync (topic, opts) {
    return new Promise((resolve, reject) => {
      this.unsubscribe(topic, opts, (err, packet) => (err ? reject(err) : resolve(packet)))
    })
  }

  /**
   * end([force], [options], [callback]): as MQTT.js, waits for the messages in flight
   * (unless force), then sends DISCONNECT (with the options, MQTT 5) and closes; the stores
   * are closed, then 'end' and the callback (with the stores' close error, if any).
   */
  end (force, opts, cb) {
    if (force == null || typeof force !== 'boolean') {
      cb = cb || opts
      opts = force
      force = false
    }
    if (typeof opts !== 'object') {
      cb = cb || opts
      opts = null
    }
    this.log('end :: (%s)', this.options.clientId)
    if (!cb || typeof cb !== 'function') cb = this.noop
    this.log('end :: cb? %s', cb !== this.noop)
    const done = cb
    if (this.disconnecting) {
      done()
      return this
    }
    this._clearReconnect()
    this.disconnecting = true
    if (force) this._forcedEnd = true
    if (this._awaitingHandle) {
      // Ending does not wait for a handleMessage that may never call back: the packets
      // behind it (the close among them) are handled now.
      this._awaitingHandle = false
      process.nextTick(() => this._resumeBatches())
    }
    const o = this.options
    const closeStores = () => {
      this.log('end :: closeStores: closing incoming and outgoing stores')
      this.disconnected = true
      this.incomingStore.close((/** @type {any} */ e1) => {
        this.outgoingStore.close((/** @type {any} */ e2) => {
          this.log('end :: closeStores: emitting end')
          this.emit('end')
          this.log('end :: closeStores: invoking callback with args')
          done(e1 || e2)
        })
      })
      if (this._deferredReconnect) this._deferredReconnect()
      else if (o.reconnectPeriod === 0 || o.manualConnect) this.disconnecting = false
    }
    const finish = () => {
      this._endWaiting = null
      this.log('end :: (%s) :: finish :: calling _cleanUp with force %s', this.options.clientId, force)
      this._cleanUp(/** @type {boolean} */ (force), () => {
        this.log('end :: finish :: calling process.nextTick on closeStores')
        process.nextTick(closeStores)
      }, opts)
    }
    if (!force && this.connected && Object.keys(this.outgoing).length > 0) {
      this.log('end :: (%s) :: calling finish in 10ms once outgoing is empty', this.options.clientId)
      // As MQTT.js: in-flight messages complete first (then 10 ms for the last acks).
      const onEmpty = () => setTimeout(() => { if (this._endWaiting === finish) finish() }, 10)
      this._endWaiting = finish
      this.once('outgoingEmpty', onEmpty)
    } else {
      this.log('end :: (%s) :: immediately calling finish', this.options.clientId)
      finish()
    }
    return this
  }

  /**
   * Closes the connection: DISCONNECT first unless forced or not connected; `done` once the
   * native driver has stopped.
   * @param {boolean} force @param {() => void} done @param {any} opts
   */
  _cleanUp (force, done, opts) {
    this.log('_cleanUp :: forced? %s', force)
    this._destroyKeepaliveManager()
    const nat = this._native
    if (!nat) return done()
    this._cleanUpDone = done
    // As MQTT.js: a forced end without reconnecting and with a clean session fails what is
    // in flight; otherwise it stays in the outgoing store for a later connection.
    if (force && this.options.reconnectPeriod === 0 && this.options.clean) this._flush()
    if (!force && this.connected) {
      // As MQTT.js: the options given, no reason code of its own (0 goes on the wire at MQTT 5).
      const disconnect = { cmd: 'disconnect', ...(opts || {}) }
      this.log('_cleanUp :: (%s) :: call _sendPacket with disconnect packet', this.options.clientId)
      if (this._logs) this.log('_writePacket :: packet: %O', disconnect)
      let sent = false
      try {
        this._send(disconnect)
        sent = true
      } catch {}
      if (sent) this._reportSent(disconnect)
      nat.end(false)
    } else {
      nat.end(true)
    }
    this.log('_cleanUp :: (%s) :: destroying stream', this.options.clientId)
  }

  endAsync (force, opts) {
    return new Promise((resolve) => this.end(force, opts, () => resolve(undefined)))
  }

  /** Drops the flow of outgoing message `messageId` without waiting for its ack. */
  removeOutgoingMessage (messageId) {
    const entry = this.outgoing[messageId]
    if (entry) {
      delete this.outgoing[messageId]
      this._native?.removeOutgoing(messageId)
      this.outgoingStore.del({ messageId }, noop)
      entry.cb(new Error('Message removed'))
    }
    return this
  }

  /** The last message id handed out. */
  getLastMessageId () {
    if (this.messageIdProvider instanceof DefaultMessageIdProvider) return this._native ? this._native.lastPacketId() : null
    return this.messageIdProvider.getLastAllocated()
  }

  /**
   * Runs `handleMessage` for one message. As MQTT.js, messages are handled one at a time:
   * while an overridden handleMessage has not called back, the next packets wait (and
   * nothing more is drained from the native side, so its backpressure holds).
   * @param {any} packet @param {(err?: any) => void} done
   */
  _handleMessage (packet, done) {
    if (this.handleMessage === MqttClient.prototype.handleMessage) return done()
    let sync = true
    let finished = false
    this._awaitingHandle = true
    try {
      this.handleMessage(packet, (/** @type {any} */ err) => {
        if (finished) return
        finished = true
        this._awaitingHandle = false
        done(err)
        if (!sync) this._resumeBatches()
      })
    } catch (e) {
      if (!finished) {
        finished = true
        this._awaitingHandle = false
      }
      throw e
    } finally {
      sync = false
    }
  }

  _resumeBatches () {
    if (this._drainWaiting) {
      this._drainWaiting = false
      this._drain()
    } else {
      this._runBatches()
    }
  }

  /** Called for each received PUBLISH before it is acknowledged; override to defer acks. */
  handleMessage (_packet, callback) {
    callback()
  }

  /**
   * Reconnects now, as MQTT.js: with new stores (those given, else empty ones); after end()
   * it waits for the end to complete; while connected it ends the connection first.
   */
  reconnect (opts) {
    this.log('client reconnect')
    const f = () => {
      this.options.incomingStore = opts ? opts.incomingStore : null
      this.options.outgoingStore = opts ? opts.outgoingStore : null
      this.incomingStore = this.options.incomingStore || new Store()
      this.outgoingStore = this.options.outgoingStore || new Store()
      this.disconnecting = false
      this.disconnected = false
      this._deferredReconnect = null
      this._reconnect()
    }
    if (this.disconnecting && !this.disconnected) this._deferredReconnect = f
    else f()
    return this
  }

  /** @param {Function} [callback] */
  _checkDisconnecting (callback) {
    if (this.disconnecting) {
      if (callback && callback !== this.noop && callback !== noop) callback(new Error('client disconnecting'))
      else this.emit('error', new Error('client disconnecting'))
    }
    return this.disconnecting
  }

  isConnected () { return this.connected }
  isReconnecting () { return this.reconnecting }
  canPublish () { return !this.disconnecting }
  isQueued () { return Object.keys(this.outgoing).length + this.queue.length > 0 }
}

const EMPTY = Buffer.alloc(0)

/** The PUBLISH object MQTT.js keeps (store, queue, packetsend); built only when needed. */
function publishPacket (topic, message, qos, retain, dup, messageId, properties) {
  return { cmd: 'publish', topic, payload: message ?? '', qos, retain, dup, messageId, properties }
}

/** Topic names validated and kept natively, by id (per thread, as the native table). */
const topicIds = new Map()
const MAX_TOPIC_IDS = 10000

/** @param {string} topic @returns {number | undefined} */
function rememberTopic (topic) {
  try {
    const id = fast.topicId(topic)
    if (id < 0) return undefined
    topicIds.set(topic, id)
    return id
  } catch {
    return undefined // the string path reports the problem
  }
}

/**
 * Calls each waiter's callback; one that throws does not keep the others from being called
 * (they run on the next tick) and its exception propagates as usual.
 * @param {Array<{cb: Function}>} list @param {any} err
 */
function callEach (list, err) {
  for (let k = 0; k < list.length; k++) {
    try {
      list[k].cb(err)
    } catch (e) {
      const rest = list.slice(k + 1)
      process.nextTick(() => callEach(rest, err))
      throw e
    }
  }
}

module.exports = { MqttClient, defaultId }
