// @ts-check
'use strict'

// The JS half of the tape (src/binding/tape.rs holds the layout): packet records in a
// Uint32Array, with strings and binary fields as [start, end) ranges into a Buffer.
// readPacket turns a record into an mqtt-packet-shaped object; writePacket turns an
// mqtt-packet object into a record, with mqtt-packet's defaults and argument checks.

const TYPES = [
  'reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth'
]
/** @type {Record<string, number>} */
const CODES = {}
TYPES.forEach((name, i) => { CODES[name] = i })

// Property id -> [mqtt-packet name, type], from the codec's one table
// (src/codec/properties.rs). Types follow mqtt-packet: 'boolean' is a byte 0 or 1.
/** @type {Array<[string, string] | undefined>} */
const PROPS = []
for (const [id, name, type] of require('./native').propertyTable()) PROPS[id] = [name, type]

/** @type {Record<string, [number, string]>} */
const PROP_IDS = {}
PROPS.forEach((p, id) => { if (p) PROP_IDS[p[0]] = [id, p[1]] })

const MAX = { int8: 0xff, int16: 0xffff, int32: 0xffffffff, var: 0x0fffffff }

/** The object mqtt-packet's parser emits; same fields, same order. */
class Packet {
  constructor () {
    /** @type {string | null} */
    this.cmd = null
    this.retain = false
    this.qos = 0
    this.dup = false
    this.length = -1
    /** @type {string | null} */
    this.topic = null
    /** @type {Buffer | null} */
    this.payload = null
  }
}

// ---- reading: tape -> packet objects ---------------------------------------------------

/**
 * Reads a property list at tape[i]; returns the index after it. Sets `target.properties`
 * only when the list is not empty, as mqtt-packet does.
 * @param {Uint32Array} t @param {number} i @param {Buffer} data @param {any} target
 */
function readProps (t, i, data, target) {
  const n = t[i++]
  if (n === 0) return i
  /** @type {any} */
  const props = {}
  for (let k = 0; k < n; k++) {
    const id = t[i++]
    const def = /** @type {[string, string]} */ (PROPS[id])
    const name = def[0]
    let value
    switch (def[1]) {
      case 'boolean': value = t[i++] !== 0; break
      case 'string': value = data.toString('utf8', t[i], t[i + 1]); i += 2; break
      case 'binary': value = data.subarray(t[i], t[i + 1]); i += 2; break
      case 'pair': {
        const key = data.toString('utf8', t[i], t[i + 1])
        const val = data.toString('utf8', t[i + 2], t[i + 3])
        i += 4
        if (!props.userProperties) props.userProperties = Object.create(null)
        const up = props.userProperties
        const prev = up[key]
        if (prev === undefined) up[key] = val
        else if (Array.isArray(prev)) prev.push(val)
        else up[key] = [prev, val]
        continue
      }
      default: value = t[i++]
    }
    // A property that may repeat (subscriptionIdentifier) becomes an array.
    const prev = props[name]
    if (prev === undefined) props[name] = value
    else if (Array.isArray(prev)) prev.push(value)
    else props[name] = [prev, value]
  }
  target.properties = props
  return i
}

/**
 * Builds the packet object of the record at tape[i]. `large`: a drain's payloads that
 * travel as Buffers of their own (a PUBLISH payload RANGE of 0xffffffff k names the k-th).
 * @param {Uint32Array} t @param {number} i @param {Buffer} data @param {Buffer[]} [large]
 * @returns {[any, number]} the packet and the index of the next record
 */
function readPacket (t, i, data, large) {
  const head = t[i]
  const first = head & 0xff
  const version = (head >> 8) & 0xff
  const type = first >> 4
  /** @type {any} */
  const p = new Packet()
  p.cmd = TYPES[type]
  p.retain = (first & 1) !== 0
  p.qos = (first >> 1) & 3
  p.dup = (first & 8) !== 0
  p.length = t[i + 1]
  i += 2
  const v5 = version === 5
  switch (type) {
    case 3: { // publish
      p.topic = data.toString('utf8', t[i], t[i + 1])
      if (p.qos > 0) p.messageId = t[i + 2]
      const ps = t[i + 3]
      const pe = t[i + 4]
      i += 5
      if (v5) i = readProps(t, i, data, p)
      else i++
      p.payload = ps === 0xffffffff && large ? large[pe] : data.subarray(ps, pe)
      return [p, i]
    }
    case 1: { // connect
      const f = t[i]
      p.protocolId = (f & 32) ? 'MQIsdp' : 'MQTT'
      p.protocolVersion = version
      if (f & 2) p.bridgeMode = true
      p.clean = (f & 1) !== 0
      p.keepalive = t[i + 1]
      p.clientId = data.toString('utf8', t[i + 2], t[i + 3])
      i = readProps(t, i + 4, data, p)
      if (f & 4) {
        const wf = t[i]
        /** @type {any} */
        const will = { retain: (wf & 4) !== 0, qos: wf & 3 }
        will.topic = data.toString('utf8', t[i + 1], t[i + 2])
        will.payload = data.subarray(t[i + 3], t[i + 4])
        i = readProps(t, i + 5, data, will)
        p.will = will
      }
      if (f & 8) { p.username = data.toString('utf8', t[i], t[i + 1]); i += 2 }
      if (f & 16) { p.password = data.subarray(t[i], t[i + 1]); i += 2 }
      return [p, i]
    }
    case 2: // connack
      p.sessionPresent = t[i] !== 0
      if (v5) p.reasonCode = t[i + 1]
      else p.returnCode = t[i + 1]
      return [p, readProps(t, i + 2, data, p)]
    case 4: case 5: case 6: case 7: // puback, pubrec, pubrel, pubcomp
      p.messageId = t[i]
      if (v5) p.reasonCode = t[i + 1]
      return [p, readProps(t, i + 3, data, p)]
    case 8: { // subscribe
      p.messageId = t[i]
      i = readProps(t, i + 1, data, p)
      const n = t[i++]
      const subs = new Array(n)
      for (let k = 0; k < n; k++) {
        const o = t[i + 2]
        /** @type {any} */
        const s = { topic: data.toString('utf8', t[i], t[i + 1]), qos: o & 3 }
        if (v5) { s.nl = (o & 4) !== 0; s.rap = (o & 8) !== 0; s.rh = (o >> 4) & 3 }
        subs[k] = s
        i += 3
      }
      p.subscriptions = subs
      return [p, i]
    }
    case 9: case 11: { // suback, unsuback
      p.messageId = t[i]
      i = readProps(t, i + 1, data, p)
      const n = t[i++]
      if (type === 9 || v5) {
        const codes = new Array(n)
        for (let k = 0; k < n; k++) codes[k] = t[i + k]
        p.granted = codes
      }
      return [p, i + n]
    }
    case 10: { // unsubscribe
      p.messageId = t[i]
      i = readProps(t, i + 1, data, p)
      const n = t[i++]
      const list = new Array(n)
      for (let k = 0; k < n; k++) { list[k] = data.toString('utf8', t[i], t[i + 1]); i += 2 }
      p.unsubscriptions = list
      return [p, i]
    }
    case 14: case 15: // disconnect, auth
      if (v5) p.reasonCode = t[i]
      return [p, readProps(t, i + 1, data, p)]
    default: // pingreq, pingresp
      return [p, i]
  }
}

// ---- writing: packet objects -> tape ---------------------------------------------------

/** Growable scratch space: the tape words and the string bytes of one packet. */
const SMALL_WORDS = 32
const SMALL_DATA = 256
/** A builder grown past this (bytes) goes back to small at its next record. */
const LARGE = 64 * 1024

class TapeBuilder {
  constructor () {
    // Small to start (every client has one; thousands idle in one process), doubled as
    // records need, and back to small after a large one.
    this.t = new Uint32Array(SMALL_WORDS)
    this.n = 0
    this.data = Buffer.allocUnsafe(SMALL_DATA)
    this.pos = 0
  }

  reset () {
    this.n = 0
    this.pos = 0
    if (this.data.length > LARGE) this.data = Buffer.allocUnsafe(SMALL_DATA)
    if (this.t.length * 4 > LARGE) this.t = new Uint32Array(SMALL_WORDS)
  }

  /** @param {number} w */
  word (w) {
    if (this.n === this.t.length) {
      const bigger = new Uint32Array(this.t.length * 2)
      bigger.set(this.t)
      this.t = bigger
    }
    this.t[this.n++] = w
  }

  /** @param {number} extra */
  room (extra) {
    if (this.pos + extra <= this.data.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.pos + extra))
    this.data.copy(bigger, 0, 0, this.pos)
    this.data = bigger
  }

  /** Writes a string or Buffer into the data and its range into the tape. @param {string | Buffer | Uint8Array} v */
  bytes (v) {
    const start = this.pos
    if (typeof v === 'string') {
      this.room(v.length * 3)
      this.pos += this.data.write(v, start, 'utf8')
    } else {
      this.room(v.length)
      this.data.set(v, start)
      this.pos += v.length
    }
    this.word(start)
    this.word(this.pos)
  }
}

/** @param {string} message */
function fail (message) { throw new Error(message) }

/** @param {any} v */
function isStringOrBuffer (v) { return typeof v === 'string' || v instanceof Uint8Array }

/**
 * @param {TapeBuilder} b @param {string} name @param {any} value
 */
function writeProp (b, name, value) {
  const def = PROP_IDS[name]
  if (!def) fail(`Invalid property ${name}: ${value}`)
  const [id, type] = def
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') fail(`Invalid ${name}: ${value}`)
      b.word(id); b.word(value ? 1 : 0); return
    case 'string':
      if (typeof value !== 'string') fail(`Invalid ${name}: ${value}`)
      b.word(id); b.bytes(value); return
    case 'binary':
      if (!isStringOrBuffer(value)) fail(`Invalid ${name}: ${value}`)
      b.word(id); b.bytes(value); return
    case 'pair':
      if (typeof value !== 'object' || value === null) fail(`Invalid ${name}: ${value}`)
      for (const key of Object.getOwnPropertyNames(value)) {
        const v = value[key]
        const list = Array.isArray(v) ? v : [v]
        for (const item of list) {
          b.word(id); b.bytes(key.toString()); b.bytes(String(item))
        }
      }
      return
    default: {
      const max = /** @type {number} */ (MAX[/** @type {'int8'} */ (type)])
      if (typeof value !== 'number' || value < 0 || value > max || !Number.isInteger(value)) {
        fail(`Invalid ${name}: ${value}`)
      }
      b.word(id); b.word(value)
    }
  }
}

/** Writes a property list (or an empty one). @param {TapeBuilder} b @param {any} props */
function writeProps (b, props) {
  const at = b.n
  b.word(0)
  if (typeof props !== 'object' || props === null || props.length != null) return
  let count = 0
  for (const name in props) {
    const value = props[name]
    if (value == null) continue
    const before = b.n
    if (Array.isArray(value) && name !== 'userProperties') {
      for (const v of value) writeProp(b, name, v)
    } else {
      writeProp(b, name, value)
    }
    // Count entries by walking what was written: each starts with an id word.
    count += countEntries(b.t, before, b.n)
  }
  b.t[at] = count
}

/** @param {Uint32Array} t @param {number} from @param {number} to */
function countEntries (t, from, to) {
  let n = 0
  for (let i = from; i < to; n++) {
    const def = /** @type {[string, string]} */ (PROPS[t[i]])
    i += 1 + (def[1] === 'pair' ? 4 : (def[1] === 'string' || def[1] === 'binary') ? 2 : 1)
  }
  return n
}

/** @param {any} id */
function checkId (id) {
  if (typeof id !== 'number') fail('Invalid messageId')
}

/**
 * Writes the record for an mqtt-packet packet object. Returns the payload to pass along
 * (PUBLISH only) or null. Throws mqtt-packet's errors for invalid arguments. `append`: after
 * the records already in `b` (the CONNECT and its AUTH go down together).
 * @param {TapeBuilder} b @param {any} packet @param {any} opts @param {boolean} [append]
 * @returns {Buffer | Uint8Array | null}
 */
function writePacket (b, packet, opts, append = false) {
  if (!append) b.reset()
  const settings = packet || {}
  const cmd = settings.cmd
  const type = CODES[cmd]
  if (!type) fail('Unknown command')
  const optVersion = opts ? opts.protocolVersion : 4
  const version = optVersion === 5 ? 5 : optVersion === 3 ? 3 : 4
  const v5 = version === 5
  switch (type) {
    case 1: return writeConnect(b, settings)
    case 2: {
      const rc = v5 ? settings.reasonCode : settings.returnCode
      if (typeof rc !== 'number') fail('Invalid return code')
      b.word(0x20 | version << 8); b.word(0)
      b.word(settings.sessionPresent ? 1 : 0); b.word(rc)
      if (v5) writeProps(b, settings.properties); else b.word(0)
      return null
    }
    case 3: {
      const qos = settings.qos || 0
      const topic = settings.topic
      if (!isStringOrBuffer(topic)) fail('Invalid topic')
      let payload = settings.payload || EMPTY
      if (qos && typeof settings.messageId !== 'number') fail('Invalid messageId')
      const first = 0x30 | (settings.dup ? 8 : 0) | (qos << 1) | (settings.retain ? 1 : 0)
      if (qos > 2 || qos < 0) fail('Invalid qos')
      b.word(first | version << 8); b.word(0)
      b.bytes(topic)
      b.word(qos ? settings.messageId : 0)
      if (typeof payload === 'string') payload = Buffer.from(payload)
      else if (!(payload instanceof Uint8Array)) fail('Invalid payload')
      b.word(0); b.word(payload.length)
      if (v5) writeProps(b, settings.properties); else b.word(0)
      return payload
    }
    case 4: case 5: case 6: case 7: {
      checkId(settings.messageId)
      const first = (type << 4) | (type === 6 ? 2 : 0)
      b.word(first | version << 8); b.word(0)
      b.word(settings.messageId)
      const hasProps = v5 && typeof settings.properties === 'object' && settings.properties !== null
      const rc = settings.reasonCode
      b.word(v5 ? (rc || 0) : 0)
      // mqtt-packet leaves reason and properties out only for an explicit reasonCode 0
      // without a properties object [MQTT-3.4.2-1].
      b.word(v5 && (hasProps || rc !== 0) ? 1 : 0)
      if (hasProps) writeProps(b, settings.properties); else b.word(0)
      return null
    }
    case 8: {
      checkId(settings.messageId)
      const subs = settings.subscriptions
      if (typeof subs !== 'object' || subs === null || !subs.length) fail('Invalid subscriptions')
      b.word(0x82 | version << 8); b.word(0)
      b.word(settings.messageId)
      if (v5) writeProps(b, settings.properties); else b.word(0)
      b.word(subs.length)
      for (const s of subs) {
        if (typeof s.topic !== 'string') fail('Invalid subscriptions - invalid topic')
        if (typeof s.qos !== 'number') fail('Invalid subscriptions - invalid qos')
        let o = s.qos
        if (v5) {
          const nl = s.nl || false
          if (typeof nl !== 'boolean') fail('Invalid subscriptions - invalid No Local')
          const rap = s.rap || false
          if (typeof rap !== 'boolean') fail('Invalid subscriptions - invalid Retain as Published')
          const rh = s.rh || 0
          if (typeof rh !== 'number' || rh > 2) fail('Invalid subscriptions - invalid Retain Handling')
          o |= (nl ? 4 : 0) | (rap ? 8 : 0) | (rh << 4)
        }
        b.bytes(s.topic)
        b.word(o)
      }
      return null
    }
    case 9: case 11: {
      checkId(settings.messageId)
      const granted = settings.granted
      const needCodes = type === 9 || v5
      if (needCodes) {
        if (typeof granted !== 'object' || granted === null || !granted.length) fail('Invalid qos vector')
        for (const g of granted) if (typeof g !== 'number') fail('Invalid qos vector')
      }
      b.word((type << 4) | version << 8); b.word(0)
      b.word(settings.messageId)
      if (v5) writeProps(b, settings.properties); else b.word(0)
      if (needCodes) { b.word(granted.length); for (const g of granted) b.word(g) } else b.word(0)
      return null
    }
    case 10: {
      checkId(settings.messageId)
      const unsubs = settings.unsubscriptions
      if (typeof unsubs !== 'object' || unsubs === null || !unsubs.length) fail('Invalid unsubscriptions')
      for (const u of unsubs) if (typeof u !== 'string') fail('Invalid unsubscriptions')
      b.word(0xa2 | version << 8); b.word(0)
      b.word(settings.messageId)
      if (v5) writeProps(b, settings.properties); else b.word(0)
      b.word(unsubs.length)
      for (const u of unsubs) b.bytes(u)
      return null
    }
    case 12: case 13:
      b.word((type << 4) | version << 8); b.word(0)
      return null
    case 14: case 15:
      if (type === 15 && !v5) fail('Invalid mqtt version for auth packet')
      b.word((type << 4) | version << 8); b.word(0)
      b.word(v5 ? (settings.reasonCode || 0) : 0)
      if (v5) writeProps(b, settings.properties); else b.word(0)
      return null
  }
  return fail('Unknown command')
}

const EMPTY = Buffer.alloc(0)

/** @param {TapeBuilder} b @param {any} s */
function writeConnect (b, s) {
  const protocolId = s.protocolId || 'MQTT'
  const version = s.protocolVersion || 4
  // As mqtt-packet: a clientId that is not a string or Buffer counts as none.
  const clientId = isStringOrBuffer(s.clientId) ? s.clientId : ''
  const keepalive = s.keepalive || 0
  const will = s.will
  const clean = s.clean === undefined ? true : s.clean
  if (protocolId !== 'MQTT' && protocolId !== 'MQIsdp') fail('Invalid protocolId')
  if (version !== 3 && version !== 4 && version !== 5) fail('Invalid protocol version')
  if (!((clientId || version >= 4) && (clientId || clean))) {
    if (version < 4) fail('clientId must be supplied before 3.1.1')
    fail('clientId must be given if cleanSession set to 0')
  }
  if (typeof keepalive !== 'number' || keepalive < 0 || keepalive > 65535 || keepalive % 1 !== 0) {
    fail('Invalid keepalive')
  }
  if (will) {
    if (typeof will !== 'object') fail('Invalid will')
    if (!will.topic || typeof will.topic !== 'string') fail('Invalid will topic')
    if (will.payload && !isStringOrBuffer(will.payload)) fail('Invalid will payload')
  }
  const username = s.username
  const password = s.password
  if (username != null && !isStringOrBuffer(username)) fail('Invalid username')
  if (password != null) {
    if (username == null) fail('Username is required to use password')
    if (!isStringOrBuffer(password)) fail('Invalid password')
  }
  const flags = (clean ? 1 : 0) | (s.bridgeMode ? 2 : 0) | (will ? 4 : 0) |
    (username != null ? 8 : 0) | (password != null ? 16 : 0) | (protocolId === 'MQIsdp' ? 32 : 0)
  b.word(0x10 | version << 8); b.word(0)
  b.word(flags)
  b.word(keepalive)
  b.bytes(clientId)
  if (version === 5) writeProps(b, s.properties); else b.word(0)
  if (will) {
    b.word((will.qos || 0) | (will.retain ? 4 : 0))
    b.bytes(will.topic)
    b.bytes(will.payload || EMPTY)
    if (version === 5) writeProps(b, will.properties); else b.word(0)
  }
  if (username != null) b.bytes(username)
  if (password != null) b.bytes(password)
  return null
}

module.exports = { Packet, TYPES, readPacket, writePacket, TapeBuilder }
