// @ts-check
'use strict'

// mqtt-packet 9's API over the native codec: parser(opts), generate(packet, opts),
// writeToStream(packet, stream, opts). Decoding and encoding happen in Rust; packets cross
// as tape records (lib/packet-tape.js) and JS builds the objects.

const { EventEmitter } = require('events')
const native = require('./native')
const { readPacket, writePacket, TapeBuilder } = require('./packet-tape')

const DONE = 0
// 1: the tape filled up; parse() goes on with the rest.
const FAILED = 2
const GROW_TAPE = 3

// Shared by every parser: records are turned into objects before any event is emitted, so
// a listener that parses on another parser cannot disturb a tape still being read.
let TAPE = new Uint32Array(8192)
const STATE = new Uint32Array(4)

/** @param {any} opts */
function versionOf (opts) {
  const v = opts && opts.protocolVersion
  return v === 3 || v === 5 ? v : 4
}

class Parser extends EventEmitter {
  /** @param {any} [opt] */
  constructor (opt) {
    super()
    /** @type {any} */
    this.settings = opt || {}
    const max = this.settings.maxPacketSize || 0
    this._native = new native.NativeParser(versionOf(this.settings), max)
    /** @type {Buffer[] | null} */
    this._pending = null
    this._pendingLength = 0
    this._need = 0
    /** @type {Error | null} */
    this.error = null
  }

  /** mqtt-packet's factory: `parser(opts)`, with or without `new`. @param {any} [opt] */
  static parser (opt) {
    return new Parser(opt)
  }

  _resetState () {
    this._pending = null
    this._pendingLength = 0
    this._need = 0
    this.error = null
  }

  /**
   * Parses a chunk; emits `packet` for each complete packet and `error` on malformed input.
   * @param {Buffer} buf
   * @returns {number} bytes held back for the next call
   */
  parse (buf) {
    if (this.error) this._resetState()
    const pending = this._pending
    if (pending === null) return this._run(buf)
    pending.push(buf)
    this._pendingLength += buf.length
    if (this._pendingLength < this._need) {
      const head = pending.length === 1 ? pending[0] : Buffer.concat(pending, Math.min(5, this._pendingLength))
      return this._pendingLength - headerBytesRead(head, 0)
    }
    // Copy just the rest of the pending packet; the remainder of `buf` is parsed in place.
    const take = this._need - (this._pendingLength - buf.length)
    pending[pending.length - 1] = buf.subarray(0, take)
    const head = Buffer.concat(pending, this._need)
    this._pending = null
    const left = this._run(head)
    if (this.error) return left + buf.length - take
    if (this._pending === null) return this._run(buf.subarray(take))
    // The header was split, so `need` was a lower bound: join what is left and go on.
    this._pending = null
    return this._run(Buffer.concat([head.subarray(head.length - this._pendingLength), buf.subarray(take)]))
  }

  /**
   * Parses `data` from its start, keeping a partial packet at its end for later.
   * @param {Buffer} data
   * @returns {number} as parse()
   */
  _run (data) {
    for (;;) {
      this._native.parse(data, TAPE, STATE)
      const consumed = STATE[0]
      const words = STATE[1]
      const status = STATE[2]
      const needed = STATE[3]
      const packets = []
      for (let i = 0; i < words;) {
        const r = readPacket(TAPE, i, data)
        packets.push(r[0])
        i = r[1]
      }
      for (let k = 0; k < packets.length; k++) {
        const p = packets[k]
        // mqtt-packet keeps the CONNECT as its settings; the native side learns the level.
        if (p.cmd === 'connect') this.settings = p
        this.emit('packet', p)
      }
      if (status === DONE) {
        const left = data.length - consumed
        if (left > 0) {
          this._pending = [consumed === 0 ? data : data.subarray(consumed)]
          this._pendingLength = left
          this._need = left + needed
          return left - headerBytesRead(data, consumed)
        }
        this._pendingLength = 0
        return 0
      }
      if (status === FAILED) {
        const [message, code, reasonCode] = this._native.lastError() || ['Malformed packet', 'ERR_MQTT_MALFORMED', 0x81]
        /** @type {any} */
        const err = new Error(message)
        err.code = code
        err.reasonCode = reasonCode
        this.error = err
        this._pending = null
        this._pendingLength = 0
        this.emit('error', err)
        return data.length - consumed
      }
      if (status === GROW_TAPE) TAPE = new Uint32Array(Math.max(TAPE.length * 2, needed * 2))
      // TAPE_FULL or GROW_TAPE: go on with what is left.
      data = data.subarray(consumed)
    }
  }
}

/**
 * mqtt-packet's parse() returns the bytes in its list, which no longer holds the fixed
 * header of a partial packet (the type byte, and the length once it is complete).
 * @param {Buffer} data @param {number} at start of the partial packet
 */
function headerBytesRead (data, at) {
  for (let i = 1; i <= 4 && at + i < data.length; i++) {
    if ((data[at + i] & 0x80) === 0) return 1 + i
  }
  return 1
}

// Output pool: generated packets are views of a shared slab, as Node's Buffer pool does for
// small buffers; a slab is never written twice, so the views stay valid.
const POOL_SIZE = 64 * 1024
let pool = Buffer.allocUnsafe(POOL_SIZE)
let poolOffset = 0
const builder = new TapeBuilder()
const EMPTY = Buffer.alloc(0)

/**
 * Encodes a packet object (mqtt-packet's shape) to a Buffer. Throws on invalid packets.
 * @param {any} packet
 * @param {any} [opts]
 * @returns {Buffer}
 */
function generate (packet, opts) {
  const payload = writePacket(builder, packet, opts) || EMPTY
  const max = opts?.properties?.maximumPacketSize || 0
  let n = native.encodePacket(builder.t, builder.data, payload, pool, poolOffset, max)
  if (n < 0) {
    if (-n > POOL_SIZE / 8) {
      // Large packets get a Buffer of their own rather than a slab.
      const own = Buffer.allocUnsafe(-n)
      native.encodePacket(builder.t, builder.data, payload, own, 0, max)
      return own
    }
    pool = Buffer.allocUnsafe(POOL_SIZE)
    poolOffset = 0
    n = native.encodePacket(builder.t, builder.data, payload, pool, 0, max)
  }
  const out = pool.subarray(poolOffset, poolOffset + n)
  poolOffset = (poolOffset + n + 7) & ~7
  if (poolOffset >= pool.length) {
    pool = Buffer.allocUnsafe(POOL_SIZE)
    poolOffset = 0
  }
  return out
}

/**
 * Writes a packet to a stream, as mqtt-packet does: on an invalid packet the stream is
 * destroyed with the error and false is returned.
 * @param {any} packet
 * @param {{write: (b: Buffer) => boolean, destroy: (e: Error) => void}} stream
 * @param {any} [opts]
 * @returns {boolean}
 */
function writeToStream (packet, stream, opts) {
  let buf
  try {
    buf = generate(packet, opts)
  } catch (err) {
    stream.destroy(/** @type {Error} */ (err))
    return false
  }
  return stream.write(buf)
}

// mqtt-packet lets callers turn its number cache on and off; there is no cache here.
let cacheNumbers = true
Object.defineProperty(writeToStream, 'cacheNumbers', {
  get () { return cacheNumbers },
  set (v) { cacheNumbers = !!v }
})

module.exports = { parser: Parser.parser, Parser, generate, writeToStream }
