// @ts-check
'use strict'

// MqttConnection: one MQTT connection over any Duplex stream, packet by packet (the API of
// early MQTT.js, kept alive by the `mqtt-connection` package). Bytes are parsed and packets
// encoded by the native codec (lib/packet.js); this file only moves them between streams.
//
// Two ways in: `new MqttConnection(duplex)` reads from and writes to `duplex`, and the
// pipe style `duplex.pipe(new MqttConnection())` takes the source of the pipe as its
// stream. Either way `conn.stream` is the byte stream, and `conn.write(packet)` or the
// per-packet methods (`conn.publish({...})`) send.

const { Duplex } = require('stream')
const { Parser, generate } = require('./packet')

const COMMANDS = ['connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth']

/** @param {any} v */
function isBytes (v) {
  return v instanceof Uint8Array
}

class MqttConnection extends Duplex {
  /**
   * @param {any} [duplex] the byte stream; omitted in the pipe style
   * @param {any} [opts] protocolVersion (3, 4, 5; the server side learns it from CONNECT),
   *   maxPacketSize, encoding (payloads as strings), notData (no per-packet events; read
   *   the packets from the stream)
   * @param {() => void} [cb] called when the first packet arrives (mqtt-connection)
   */
  constructor (duplex, opts, cb) {
    if (!isStream(duplex)) {
      cb = opts
      opts = duplex
      duplex = null
    }
    if (typeof opts === 'function') {
      cb = opts
      opts = {}
    }
    opts = opts || {}
    // Packet objects go in (write) and come out (read); bytes written to the connection
    // itself (the pipe style) are parsed as received.
    super({ objectMode: true, emitClose: false, autoDestroy: false })
    /** @type {any} */
    this.options = { ...opts, protocolVersion: versionOf(opts.protocolVersion) }
    /** @type {any} */
    this.stream = null
    this._encoding = opts.encoding || null
    this._parser = new Parser({ protocolVersion: this.options.protocolVersion, maxPacketSize: opts.maxPacketSize })
    this._parser.on('packet', (/** @type {any} */ p) => this._received(p))
    this._parser.on('error', (/** @type {Error} */ err) => this._malformed(err))
    this._first = true
    this._firstCb = cb
    this._pipeMode = false
    this._ended = false
    if (opts.notData !== true) this.on('data', emitPacket)
    if (duplex) this._attach(duplex, false)
    else this.once('pipe', (/** @type {any} */ src) => this._attach(src, true))
  }

  /** @param {any} stream @param {boolean} piped */
  _attach (stream, piped) {
    this.stream = stream
    this._pipeMode = piped
    stream.on('error', (/** @type {Error} */ err) => this.emit('error', err))
    stream.on('close', () => this.emit('close'))
    if (!piped) {
      // Deferred so that listeners added right after the constructor see every packet.
      process.nextTick(() => {
        stream.on('data', (/** @type {Buffer} */ chunk) => this._parse(chunk))
        stream.on('end', () => this._end())
      })
    } else {
      stream.on('end', () => this._end())
    }
  }

  /** @param {Buffer} chunk */
  _parse (chunk) {
    if (this.destroyed) return
    if (typeof chunk === 'string') chunk = Buffer.from(chunk)
    this._parser.parse(chunk)
  }

  /** @param {any} packet */
  _received (packet) {
    if (this._first) {
      this._first = false
      // The server side learns the protocol level from CONNECT.
      if (packet.cmd === 'connect') this.setProtocolVersion(packet.protocolVersion)
      if (this._firstCb) process.nextTick(this._firstCb)
    }
    if (packet.cmd === 'publish' && this._encoding && packet.payload) {
      packet.payload = packet.payload.toString(this._encoding)
    }
    this.push(packet)
  }

  /** Bytes that cannot be parsed: the stream is out of step for good, so it is closed. @param {Error} err */
  _malformed (err) {
    this.emit('error', err)
    this.destroy()
  }

  _end () {
    if (this._ended) return
    this._ended = true
    this.push(null)
  }

  _read () {}

  /**
   * A packet object to send, or (pipe style) bytes received from the source.
   * @param {any} chunk @param {string} _enc @param {(err?: Error | null) => void} cb
   */
  _write (chunk, _enc, cb) {
    if (isBytes(chunk) || typeof chunk === 'string') {
      this._parse(/** @type {Buffer} */ (chunk))
      return cb()
    }
    const stream = this.stream
    if (!stream || stream.destroyed || stream.writableEnded) {
      return cb()
    }
    let bytes
    try {
      if (!chunk || typeof chunk !== 'object') throw new TypeError('packet must be an object')
      bytes = generate(chunk, this.options)
    } catch (err) {
      // Invalid arguments are reported, never thrown; the connection stays usable.
      this.emit('error', err)
      return cb()
    }
    if (chunk.cmd === 'connect') this.setProtocolVersion(chunk.protocolVersion)
    if (stream.write(bytes)) cb()
    else stream.once('drain', () => cb())
  }

  /** @param {Error | null} err @param {(err?: Error | null) => void} cb */
  _destroy (err, cb) {
    const s = this.stream
    if (s) {
      if (typeof s.destroy === 'function') s.destroy()
      else if (typeof s.end === 'function') s.end()
    }
    cb(err)
  }

  /** @param {number} [version] */
  setProtocolVersion (version) {
    const v = versionOf(version)
    this.options.protocolVersion = v
    this._parser.settings = { ...this._parser.settings, protocolVersion: v }
    this._parser._native.version = v
  }

  /**
   * mqtt-connection's setOptions: the packet (usually CONNECT) whose protocolVersion
   * both directions use from now on.
   * @param {any} packet @param {any} [opts]
   */
  setOptions (packet, opts) {
    const o = { ...packet }
    if (o.cmd === 'connack') o.protocolVersion = (opts && opts.protocolVersion) || 4
    this.setProtocolVersion(o.protocolVersion)
    this.options = { ...o, protocolVersion: this.options.protocolVersion }
  }

  /**
   * Received PUBLISH payloads as strings in `encoding` ('utf8', 'base64'...); null or
   * 'buffer' for Buffers (the default).
   * @param {string | null} encoding
   */
  setPacketEncoding (encoding) {
    this._encoding = !encoding || encoding === 'buffer' ? null : encoding
  }
}

for (const cmd of COMMANDS) {
  Object.defineProperty(MqttConnection.prototype, cmd, {
    configurable: true,
    writable: true,
    /** @this {MqttConnection} @param {any} [opts] @param {() => void} [cb] */
    value: function (opts, cb) {
      if (typeof opts === 'function') {
        cb = opts
        opts = {}
      }
      const packet = opts && typeof opts === 'object' ? opts : {}
      packet.cmd = cmd
      this.write(packet)
      if (cb) setImmediate(cb)
    }
  })
}

/** @this {MqttConnection} @param {any} packet */
function emitPacket (packet) {
  this.emit(packet.cmd, packet)
}

/** @param {any} v */
function versionOf (v) {
  return v === 3 || v === 5 ? v : 4
}

/** @param {any} v */
function isStream (v) {
  return v != null && typeof v === 'object' && typeof v.on === 'function' && typeof v.write === 'function' && typeof v.pipe === 'function'
}

module.exports = { MqttConnection, COMMANDS }
