// @ts-check
'use strict'

// MqttClient: MQTT.js's client surface over the native engine. This file adapts
// arguments, options, events and errors; protocol decisions (packet ids, resends,
// keepalive, acks' timing) are made in Rust (src/session).

const { EventEmitter } = require('node:events')
const native = require('./native')
const { tlsOptions, wsOptions, transformedWsBuilder } = require('./transport-options')

const { fast } = native
const { readPacket, writePacket, TapeBuilder } = require('./packet-tape')
const { Store } = require('./store')
const { DefaultMessageIdProvider } = require('./message-id')
const { ReasonCodes, ErrorWithReasonCode, connackError } = require('./errors')
const { validateTopic, validateFilter } = require('./validate')

const VERSION = require('../package.json').mqttjsVersion || '5.16.0'

// Native event kinds (src/binding/client.rs).
const PACKET = 1
const ERROR = 2
const CLOSE = 3
const RECONNECT = 4
const FINISHED = 5
const SENT = 6
const RECEIVED = 7
const WRITTEN = 8
const OPEN_STREAM = 9
const STREAM_WRITE = 10
const STREAM_END = 11

const DEFAULTS = {
  keepalive: 60,
  reschedulePings: true,
  protocolId: 'MQTT',
  protocolVersion: 4,
  reconnectPeriod: 1000,
  connectTimeout: 30 * 1000,
  clean: true,
  resubscribe: true,
  queueQoSZero: true,
  writeCache: true,
  timerVariant: 'auto'
}

function defaultId () {
  return `mqttjs_${Math.random().toString(16).slice(2, 10).padEnd(8, '0')}`
}

const noop = () => {}

/** Stands for the connection as MQTT.js's `client.stream`: destroy() or end() drops it. */
class NativeStream extends EventEmitter {
  /** @param {MqttClient} client */
  constructor (client) {
    super()
    this._client = client
    this.destroyed = false
  }

  /** @param {Error} [err] */
  destroy (err) {
    if (this.destroyed) return this
    this.destroyed = true
    if (err) this._client.emit('error', err)
    this._client._native?.dropConnection()
    return this
  }

  end () {
    if (!this.destroyed) this._client._native?.dropConnection()
    return this
  }

  write () { return true }
}

class MqttClient extends EventEmitter {
  /**
   * @param {any} streamBuilder `(client) => Duplex`, called for every connection attempt (a
   *   custom transport whose bytes still go through the native session); null for the
   *   native transports of mqtt.connect
   * @param {any} options
   */
  constructor (streamBuilder, options) {
    super()
    /** @type {any} */
    const o = { ...DEFAULTS, ...(options || {}) }
    if (!o.clientId || typeof o.clientId !== 'string') o.clientId = options && typeof options.clientId === 'string' && o.protocolVersion >= 4 ? '' : defaultId()
    if (o.protocolVersion === 3 && !options?.protocolId) o.protocolId = 'MQIsdp'
    if (o.log === undefined) o.log = noop
    if (!o.customHandleAcks) o.customHandleAcks = (_t, _m, _p, done) => done(null, 0)
    this.options = o
    this.streamBuilder = streamBuilder
    this.messageIdProvider = o.messageIdProvider || new DefaultMessageIdProvider()
    this.outgoingStore = o.outgoingStore || new Store()
    this.incomingStore = o.incomingStore || new Store()
    this.queueQoSZero = o.queueQoSZero
    this.connected = false
    this.disconnecting = false
    this.disconnected = false
    this.reconnecting = false
    /** @type {Array<{packet: any, cb: Function}>} */
    this.queue = []
    /** @type {Record<number, {volatile: boolean, cb: Function}>} */
    this.outgoing = {}
    /** @type {Record<number, string>} */
    this.messageIdToTopic = {}
    /** QoS 0 callbacks waiting for their bytes to be written, by write mark (ascending). */
    this._writeWaiters = []
    this._resubscribeTopics = {}
    this._firstConnection = true
    /** @type {any} */
    this.connackPacket = null
    /** @type {any} */
    this._native = null
    /** Handle of the native client for the per-message calls (native.client*). */
    this._h = 0
    this.stream = new NativeStream(this)
    this._builder = new TapeBuilder()
    /** @type {Array<{t: Uint32Array, bytes: Buffer, i: number}>} */
    this._batches = []
    this._deferred = []
    /** @type {any} The Duplex of the current connection, with a streamBuilder. */
    this._jsStream = null
    this.log = typeof o.log === 'function' ? o.log : noop
    // packetsend/packetreceive for packets the native side writes or reads cost a copy
    // each: they are reported only while someone listens.
    this._observe = { sent: false, received: false }
    this._flushQueued = false
    this._flush = () => {
      this._flushQueued = false
      if (this._h) fast.clientFlush(this._h)
    }
    this.on('newListener', (event) => this._updateObserve(event, 1))
    this.on('removeListener', (event) => this._updateObserve(event, 0))
    if (!o.manualConnect) this.connect()
  }

  static get VERSION () { return VERSION }

  /** @param {string | symbol} event @param {number} adding 1 from newListener (not yet counted) */
  _updateObserve (event, adding) {
    if (event !== 'packetsend' && event !== 'packetreceive') return
    this._observe = {
      sent: this.listenerCount('packetsend') + (event === 'packetsend' ? adding : 0) > 0,
      received: this.listenerCount('packetreceive') + (event === 'packetreceive' ? adding : 0) > 0
    }
    this._native?.observe(this._observe.sent, this._observe.received)
  }

  /** Opens the connection (automatic unless `manualConnect`). */
  connect () {
    const o = this.options
    this.disconnected = false
    if (!this.streamBuilder) this.streamBuilder = transformedWsBuilder(o)
    const connect = {
      cmd: 'connect',
      protocolId: o.protocolId,
      protocolVersion: o.protocolVersion,
      clean: o.clean,
      clientId: o.clientId,
      keepalive: o.keepalive,
      username: o.username,
      password: typeof o.password === 'string' ? Buffer.from(o.password) : o.password,
      will: o.will ? { ...o.will, payload: o.will.payload ?? '' } : undefined,
      properties: o.properties
    }
    const b = this._builder
    writePacket(b, connect, { protocolVersion: o.protocolVersion })
    this._native = new native.NativeClient({
      host: o.hostname || o.host || 'localhost',
      port: Number(o.port) || 1883,
      servers: Array.isArray(o.servers) && o.servers.length
        ? o.servers.map((sv) => `${sv.host || sv.hostname || 'localhost'}:${Number(sv.port) || Number(o.port) || 1883}`)
        : undefined,
      reconnectPeriod: o.reconnectPeriod,
      connectTimeout: o.connectTimeout,
      reschedulePings: o.reschedulePings !== false,
      queueQosZero: o.queueQoSZero !== false,
      resubscribe: o.resubscribe !== false,
      maxPacketSize: o.properties?.maximumPacketSize || 0,
      firstPacketId: Math.max(1, Math.floor(Math.random() * 65535)),
      autoUseTopicAlias: !!o.autoUseTopicAlias,
      autoAssignTopicAlias: !!o.autoAssignTopicAlias,
      tls: tlsOptions(o),
      ws: wsOptions(o),
      unixPath: o.unixSocket ? String(o.path || '') : undefined,
      jsStream: typeof this.streamBuilder === 'function'
    }, b.t.subarray(0, b.n), b.data.subarray(0, b.pos))
    const nat = this._native
    this._h = nat.handle()
    nat.observe(this._observe.sent, this._observe.received)
    this._restoreStored(nat, () => {
      if (this._native !== nat) return
      const drain = () => this._drain()
      // Plain TCP is read on this thread when libuv allows it (src/binding/poll.rs).
      fast.clientReadWith(this._h, drain)
      nat.start(drain)
    })
    return this
  }

  /**
   * As MQTT.js resends what its outgoingStore holds at connect, hands the stored QoS 1/2
   * PUBLISH and PUBREL packets not already in flight to the native session (resent first,
   * PUBLISH with DUP), then calls `done`. An empty built-in Store is skipped synchronously.
   * @param {any} nat @param {() => void} done
   */
  _restoreStored (nat, done) {
    const store = this.outgoingStore
    if (store instanceof Store && store._inflights.size === 0) return done()
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
    if (!id || this.outgoing[id] || (packet.cmd !== 'publish' && packet.cmd !== 'pubrel')) return
    if (packet.cmd === 'publish' && !(packet.qos > 0)) return
    const b = this._builder
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
    this.outgoing[id] = { volatile: false, cb: noop }
    if (packet.cmd === 'publish') this.messageIdToTopic[id] = packet.topic
  }

  _drain () {
    if (!this._native) return
    const [t, bytes, large] = native.clientDrain(this._h)
    this._batches.push({ t, bytes, large, i: 0 })
    this._runBatches()
  }

  // Events are dispatched from a queue of drained batches. If a listener throws, the rest
  // of the batch still runs (on the next tick) before the exception propagates as usual.
  _runBatches () {
    const batches = this._batches
    while (batches.length > 0) {
      const batch = batches[0]
      const { t, bytes, large } = batch
      while (batch.i < t.length) {
        const kind = t[batch.i++]
        try {
          switch (kind) {
            case PACKET: {
              const [packet, next] = readPacket(t, batch.i, bytes, large)
              batch.i = next
              this._onPacket(packet)
              break
            }
            case SENT: case RECEIVED: {
              const [packet, next] = readPacket(t, batch.i, bytes)
              batch.i = next
              this.emit(kind === SENT ? 'packetsend' : 'packetreceive', packet)
              break
            }
            case ERROR: {
              const code = bytes.toString('utf8', t[batch.i], t[batch.i + 1])
              const message = bytes.toString('utf8', t[batch.i + 2], t[batch.i + 3])
              batch.i += 4
              this._onError(code, message)
              break
            }
            case WRITTEN: {
              const upto = t[batch.i] + t[batch.i + 1] * 0x100000000
              const dropped = t[batch.i + 2] === 1
              batch.i += 3
              this._onWritten(upto, dropped)
              break
            }
            case OPEN_STREAM: this._openStream(); break
            case STREAM_WRITE: {
              const s = this._jsStream
              if (s && !s.destroyed) s.write(bytes.subarray(t[batch.i], t[batch.i + 1]))
              batch.i += 2
              break
            }
            case STREAM_END: this._endStream(); break
            case CLOSE: this._onClose(); break
            case RECONNECT: this.emit('reconnect'); break
            case FINISHED: this._onFinished(); break
          }
        } catch (err) {
          process.nextTick(() => this._runBatches())
          throw err
        }
      }
      batches.shift()
    }
  }

  /** A connection attempt over a Duplex from the streamBuilder (MQTT.js's custom streams). */
  _openStream () {
    const nat = this._native
    this._endStream()
    let s
    try {
      s = this.streamBuilder(this)
    } catch (err) {
      this.emit('error', err)
      nat.feedEnd()
      return
    }
    this._jsStream = s
    this.stream = s
    const current = () => this._native === nat && this._jsStream === s
    s.on('data', (/** @type {Buffer} */ chunk) => { if (current()) nat.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk) })
    s.on('end', () => { if (current()) nat.feedEnd() })
    s.on('close', () => { if (current()) nat.feedEnd() })
    s.on('error', (/** @type {Error} */ err) => {
      if (!current()) return
      this.emit('error', err)
      nat.feedEnd()
    })
  }

  /** The native side is done with the current Duplex: end it (what was written goes out first). */
  _endStream () {
    const s = this._jsStream
    if (!s) return
    this._jsStream = null
    if (typeof s.end === 'function' && !s.writableEnded) s.end()
    if (typeof s.destroy === 'function') setTimeout(() => s.destroy(), 1000).unref()
  }

  /** @param {any} packet */
  _onPacket (packet) {
    switch (packet.cmd) {
      case 'connack': return this._onConnack(packet)
      case 'publish': return this._onPublish(packet)
      case 'pubrel': return this._onPubrel(packet)
      case 'pubrec':
        // A failed PUBREC (MQTT 5) ends the flow; a successful one moves it to PUBREL,
        // which takes the PUBLISH's place in the store, as in MQTT.js.
        if (packet.reasonCode >= 0x80) return this._onAck(packet)
        return this.outgoingStore.put({ cmd: 'pubrel', qos: 2, messageId: packet.messageId }, noop)
      case 'puback': case 'pubcomp': return this._onAck(packet)
      case 'suback': case 'unsuback': return this._onAck(packet)
      case 'disconnect': return this.emit('disconnect', packet)
      case 'auth': return this.emit('auth', packet)
    }
  }

  /** @param {any} packet */
  _onConnack (packet) {
    const rc = this.options.protocolVersion === 5 ? packet.reasonCode : packet.returnCode
    this.connackPacket = packet
    if (rc !== 0) {
      this.emit('error', connackError(rc, this.options.protocolVersion))
      return
    }
    this.connected = true
    this.reconnecting = false
    this._firstConnection = false
    this.emit('connect', packet)
    // QoS 0 publishes queued while offline were queued for writing with the CONNACK's
    // handling: their callbacks wait for those bytes to be written.
    const queued = this.queue
    this.queue = []
    for (const q of queued) this._afterWrite(q.cb)
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
    for (const x of done) x.cb(dropped ? new Error('Connection closed before the message was written') : undefined)
  }

  /** @param {any} packet */
  _onPublish (packet) {
    const { topic, payload, qos, messageId } = packet
    const h = this._h
    if (qos === 0) {
      this.emit('message', topic, payload, packet)
      this.handleMessage(packet, noop)
      return
    }
    this.options.customHandleAcks(topic, payload, packet, (error, code) => {
      if (typeof error === 'number') { code = error; error = null }
      if (error) return this.emit('error', error)
      code = code || 0
      if (!ReasonCodes.validPubackCode(code)) return this.emit('error', new Error(`Wrong reason code for ${qos === 1 ? 'puback' : 'pubrec'}`))
      if (qos === 1) {
        if (!code) this.emit('message', topic, payload, packet)
        this.handleMessage(packet, (err) => {
          if (err) return
          fast.clientAck(h, messageId, 1, code)
          this._scheduleFlush()
        })
      } else if (code) {
        fast.clientAck(h, messageId, 2, code)
        this._scheduleFlush()
      } else {
        this.incomingStore.put(packet, () => { fast.clientAck(h, messageId, 2, 0); this._scheduleFlush() })
      }
    })
  }

  /** @param {any} pubrel */
  _onPubrel (pubrel) {
    const h = this._h
    this.incomingStore.get(pubrel, (err, pub) => {
      if (err || !pub) {
        fast.clientComplete(h, pubrel.messageId)
        this._scheduleFlush()
        return
      }
      this.emit('message', pub.topic, pub.payload, pub)
      this.handleMessage(pub, (err2) => {
        if (err2) return
        this.incomingStore.del(pub, noop)
        fast.clientComplete(h, pubrel.messageId)
        this._scheduleFlush()
      })
    })
  }

  /** @param {any} packet */
  _onAck (packet) {
    const id = packet.messageId
    const entry = this.outgoing[id]
    if (!entry) return
    const rc = packet.reasonCode
    delete this.outgoing[id]
    this.messageIdProvider.deallocate?.(id)
    if (packet.cmd === 'suback' || packet.cmd === 'unsuback') {
      let err = null
      if (packet.cmd === 'suback') {
        for (const code of packet.granted) {
          if (code & 0x80) {
            err = new Error(`Subscribe error: ${ReasonCodes[code]}`)
            // @ts-ignore
            err.code = code
          }
        }
      }
      entry.cb(err, packet)
    } else {
      // As MQTT.js: the callback gets the stored PUBLISH; a reason code other than
      // success (0) or no matching subscribers (16) is an error.
      const err = rc && rc !== 16 ? new ErrorWithReasonCode(`Publish error: ${ReasonCodes[rc]}`, rc) : null
      delete this.messageIdToTopic[id]
      // After PUBREC the store holds the PUBREL, and that is what QoS 2 callbacks get.
      const rel = packet.cmd === 'pubcomp' ? { cmd: 'pubrel', qos: 2, messageId: id } : null
      this.outgoingStore.del({ messageId: id }, (_e, stored) => entry.cb(err, stored || rel))
    }
    if (this.disconnecting && Object.keys(this.outgoing).length === 0) this.emit('outgoingEmpty')
  }

  /** @param {string} code @param {string} message */
  _onError (code, message) {
    if (code === 'ERR_MQTT_REFUSED') return // reported from the CONNACK
    /** @type {any} */
    const err = new Error(message)
    err.code = code
    // MQTT.js 5 emits every stream error that has a code, ECONNREFUSED included.
    this.emit('error', err)
  }

  _onClose () {
    this.connected = false
    // client.stream stands for the connection: it closes with it, and the next
    // connection gets a fresh one, as MQTT.js builds a new stream per connection.
    const stream = this.stream
    this.stream = new NativeStream(this)
    stream.destroyed = true
    stream.emit('close')
    // MQTT.js announces 'offline' (once per outage) from its own 'close' listener, which
    // runs before the application's: applications see 'offline' first.
    if (!this.disconnecting && this.options.reconnectPeriod > 0 && !this.reconnecting) {
      this.reconnecting = true
      this.emit('offline')
    }
    this.emit('close')
  }

  _onFinished () {
    const nat = this._native
    this._native = null
    this._h = 0
    if (nat) nat.dispose()
    this.connected = false
    this.reconnecting = false
    if (this.disconnecting) {
      this.disconnected = true
      this._failPending(new Error('Connection closed'))
      const done = this._endCallback
      this._endCallback = null
      // As MQTT.js: the stores are closed (the built-in one forgets its packets), then 'end'.
      closeStore(this.incomingStore, () => closeStore(this.outgoingStore, () => {
        this.emit('end')
        if (done) done()
      }))
    }
  }

  /** @param {Error} err */
  _failPending (err) {
    const outgoing = this.outgoing
    this.outgoing = {}
    for (const id of Object.keys(outgoing)) outgoing[id].cb(err)
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

  /** Sends a packet object through the native session; returns its messageId. */
  _send (packet) {
    const b = this._builder
    const payload = writePacket(b, packet, this.options)
    const id = fast.clientSend(this._h, b.t.subarray(0, b.n), b.data.subarray(0, b.pos), payload || EMPTY)
    this._scheduleFlush()
    return id
  }

  // What is sent, acknowledged or completed during one turn of the event loop goes out in
  // one write, at the end of that turn (as Node's sockets do with cork/uncork).
  _scheduleFlush () {
    if (this._flushQueued) return
    this._flushQueued = true
    process.nextTick(this._flush)
  }

  /**
   * publish(topic, message, [options], [callback])
   * @param {string} topic @param {string | Buffer} message @param {any} [opts] @param {Function} [callback]
   */
  publish (topic, message, opts, callback) {
    if (typeof opts === 'function') { callback = opts; opts = undefined }
    const cb = callback || noop
    if (this._checkDisconnecting(cb)) return this
    const qos = opts?.qos ?? 0
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
        this._scheduleFlush()
      } else {
        packet = publishPacket(topic, message, qos, retain, dup, messageId, properties)
        id = this._send(packet)
      }
    } catch (e) {
      process.nextTick(cb, e)
      return this
    }
    if (qos === 0) {
      if (!this.connected) this.queue.push({ packet: packet || publishPacket(topic, message, qos, retain, dup, messageId, properties), cb })
      else if (callback) this._afterWrite(cb)
    } else {
      packet = packet || publishPacket(topic, message, qos, retain, dup, messageId, properties)
      packet.messageId = id
      this.outgoing[id] = { volatile: false, cb }
      this.messageIdToTopic[id] = topic
      this.outgoingStore.put(packet, noop)
    }
    if (this._observe.sent) this._reportSent(packet || publishPacket(topic, message, qos, retain, dup, messageId, properties))
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
   * subscribe(topic | topic[] | {topic: qos | opts}, [options], [callback])
   */
  subscribe (topicObject, opts, callback) {
    if (typeof opts === 'function') { callback = opts; opts = null }
    const cb = callback || noop
    if (this._checkDisconnecting(cb)) return this
    const version = this.options.protocolVersion
    const base = { qos: 0, ...(opts || {}) }
    /** @type {any[]} */
    let subs = []
    if (typeof topicObject === 'string') topicObject = [topicObject]
    else if (topicObject && typeof topicObject === 'object' && !Array.isArray(topicObject) && 'resubscribe' in topicObject) {
      // MQTT.js's own resubscribe marker; resubscribing is native here.
      topicObject = { ...topicObject }
      delete topicObject.resubscribe
    }
    if (Array.isArray(topicObject)) {
      subs = topicObject.map((topic) => ({ topic, qos: base.qos, nl: base.nl, rap: base.rap, rh: base.rh }))
    } else if (topicObject && typeof topicObject === 'object') {
      subs = Object.keys(topicObject).map((topic) => {
        const v = topicObject[topic]
        return typeof v === 'object' ? { topic, qos: v.qos ?? 0, nl: v.nl, rap: v.rap, rh: v.rh } : { topic, qos: v }
      })
    }
    if (subs.length === 0) { process.nextTick(cb, new Error('Invalid topic')); return this }
    for (const s of subs) {
      const err = validateFilter(s.topic)
      if (err) { process.nextTick(cb, err); return this }
    }
    // As MQTT.js: a topic already subscribed at the same or a higher QoS is not sent again;
    // when nothing is left, the callback gets an empty granted list at once.
    subs = subs.filter((s) => !(s.topic in this._resubscribeTopics) || this._resubscribeTopics[s.topic].qos < s.qos)
    if (subs.length === 0) { cb(null, []); return this }
    const subscriptions = subs.map((s) => version === 5
      ? { topic: s.topic, qos: s.qos, nl: s.nl || false, rap: s.rap || false, rh: s.rh || 0 }
      : { topic: s.topic, qos: s.qos })
    const given = this._allocateId()
    if (given === null) { process.nextTick(cb, new Error('message id not available')); return this }
    const packet = { cmd: 'subscribe', messageId: given, subscriptions, properties: base.properties }
    const id = this._trySend(packet, cb)
    if (id === null) return this
    packet.messageId = id
    // MQTT.js remembers topics (for its dedupe) only when it may resubscribe them.
    if (this.options.reconnectPeriod > 0 && this.options.resubscribe) {
      for (const s of subscriptions) this._resubscribeTopics[s.topic] = s
      this.messageIdToTopic[id] = subscriptions.map((s) => s.topic)
    }
    this.outgoing[id] = {
      volatile: true,
      cb: (err, suback) => {
        const topics = this.messageIdToTopic[id]
        delete this.messageIdToTopic[id]
        if (err && topics && suback) for (const t of topics) delete this._resubscribeTopics[t]
        if (err) return cb(err)
        const granted = subscriptions.map((s, k) => ({ topic: s.topic, qos: suback.granted[k] }))
        if (version === 5) granted.forEach((g, k) => { if (subscriptions[k].nl !== undefined) Object.assign(g, { nl: subscriptions[k].nl, rap: subscriptions[k].rap, rh: subscriptions[k].rh }) })
        cb(null, granted, suback)
      }
    }
    this._reportSent(packet)
    return this
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
    const id = this._trySend(packet, cb)
    if (id === null) return this
    packet.messageId = id
    for (const t of unsubscriptions) delete this._resubscribeTopics[t]
    this.outgoing[id] = { volatile: true, cb }
    this._reportSent(packet)
    return this
  }

  unsubscribeAsync (topic, opts) {
    return new Promise((resolve, reject) => {
      this.unsubscribe(topic, opts, (err, packet) => (err ? reject(err) : resolve(packet)))
    })
  }

  /**
   * end([force], [options], [callback]): sends DISCONNECT (unless force) and closes.
   */
  end (force, opts, cb) {
    if (typeof force === 'function') { cb = force; force = false; opts = null }
    if (typeof opts === 'function') { cb = opts; opts = null }
    if (typeof force === 'object' && force !== null) { opts = force; force = false }
    cb = cb || noop
    if (this.disconnecting) {
      if (this.disconnected) process.nextTick(cb)
      else this.once('end', () => cb())
      return this
    }
    this.disconnecting = true
    const nat = this._native
    if (!nat) {
      this.disconnected = true
      process.nextTick(() => { this.emit('end'); cb() })
      return this
    }
    this._endCallback = cb
    if (!force && this.connected) {
      const disconnect = { cmd: 'disconnect', reasonCode: opts?.reasonCode || 0, properties: opts?.properties }
      let sent = false
      try {
        this._send(disconnect)
        sent = true
      } catch {}
      nat.end(false)
      if (sent) this._reportSent(disconnect)
      return this
    }
    nat.end(!!force)
    return this
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

  /** Called for each received PUBLISH before it is acknowledged; override to defer acks. */
  handleMessage (_packet, callback) {
    callback()
  }

  /** Reconnects now (after end(), it starts a new connection). */
  reconnect (opts) {
    if (this.disconnecting && !this.disconnected) {
      this.once('end', () => this.reconnect(opts))
      return this
    }
    if (this._native) {
      this._native.dispose()
      this._native = null
      this._h = 0
    }
    this.disconnecting = false
    this.disconnected = false
    this.connect()
    return this
  }

  _checkDisconnecting (cb) {
    if (this.disconnecting) {
      process.nextTick(cb, new Error('client disconnecting'))
      return true
    }
    return false
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

/** @param {any} store @param {() => void} cb */
function closeStore (store, cb) {
  if (typeof store?.close === 'function') store.close(() => cb())
  else cb()
}

module.exports = { MqttClient, defaultId }
