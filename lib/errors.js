// @ts-check
'use strict'

// Reason codes and MQTT.js-shaped errors. Texts are the spec's names of the codes
// (MQTT 3.1.1 table 3.1 for return codes 1-5, MQTT 5 section 2.4 for the rest).

/** @type {Record<number, string>} */
const ReasonCodes = {
  0: '',
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
  16: 'No matching subscribers',
  17: 'No subscription existed',
  128: 'Unspecified error',
  129: 'Malformed Packet',
  130: 'Protocol Error',
  131: 'Implementation specific error',
  132: 'Unsupported Protocol Version',
  133: 'Client Identifier not valid',
  134: 'Bad User Name or Password',
  135: 'Not authorized',
  136: 'Server unavailable',
  137: 'Server busy',
  138: 'Banned',
  139: 'Server shutting down',
  140: 'Bad authentication method',
  141: 'Keep Alive timeout',
  142: 'Session taken over',
  143: 'Topic Filter invalid',
  144: 'Topic Name invalid',
  145: 'Packet identifier in use',
  146: 'Packet Identifier not found',
  147: 'Receive Maximum exceeded',
  148: 'Topic Alias invalid',
  149: 'Packet too large',
  150: 'Message rate too high',
  151: 'Quota exceeded',
  152: 'Administrative action',
  153: 'Payload format invalid',
  154: 'Retain not supported',
  155: 'QoS not supported',
  156: 'Use another server',
  157: 'Server moved',
  158: 'Shared Subscriptions not supported',
  159: 'Connection rate exceeded',
  160: 'Maximum connect time',
  161: 'Subscription Identifiers not supported',
  162: 'Wildcard Subscriptions not supported'
}

const PUBACK_CODES = new Set([0, 16, 128, 131, 135, 144, 145, 151, 153])

const helpers = {
  /** @param {number} code */
  message (code) { return ReasonCodes[code] || `code ${code}` },
  /** @param {number} code */
  validPubackCode (code) { return PUBACK_CODES.has(code) }
}
Object.defineProperty(ReasonCodes, 'message', { value: helpers.message, enumerable: false })
Object.defineProperty(ReasonCodes, 'validPubackCode', { value: helpers.validPubackCode, enumerable: false })

/** An Error with a numeric MQTT reason `code`, as MQTT.js's ErrorWithReasonCode. */
class ErrorWithReasonCode extends Error {
  /** @param {string} message @param {number} code */
  constructor (message, code) {
    super(message)
    this.code = code
    Object.setPrototypeOf(this, ErrorWithReasonCode.prototype)
  }
}

/** The error MQTT.js emits for a refused CONNACK. @param {number} rc @param {number} _version */
function connackError (rc, _version) {
  return new ErrorWithReasonCode(`Connection refused: ${ReasonCodes[rc] || rc}`, rc)
}

module.exports = { ReasonCodes: /** @type {any} */ (ReasonCodes), ErrorWithReasonCode, connackError }

const os = require('node:os')

/**
 * A connection-level error from the native side, shaped as MQTT.js and Node shape it:
 * socket errors as Node's (`connect ECONNREFUSED 127.0.0.1:1883` with errno, code,
 * syscall, address, port), MQTT.js's own timeouts without a code, and the protocol errors
 * MQTT.js reports with a reason code (`reason`, set by the native side: 130, 147, 148,
 * 149) as its ErrorWithReasonCode, in its words.
 * @param {string} code @param {string} message @param {number} [reason] 0 or absent: none
 */
function nativeError (code, message, reason) {
  if (code === 'ERR_CONNACK_TIMEOUT') return new Error('connack timeout')
  if (code === 'ERR_KEEPALIVE_TIMEOUT') return new Error('Keepalive timeout')
  if (reason) return new ErrorWithReasonCode(message, reason)
  // An ack answering the wrong kind of flow: MQTT.js 5.16's message, without a code.
  if (code === 'ERR_MQTT_UNEXPECTED_ACK') return new Error(message)
  /** @type {any} */
  let err
  const errno = /** @type {Record<string, number>} */ (os.constants.errno)[code]
  const connect = /^connect (?:\[([^\]]+)\]|([^\s:]+)):(\d+)(?::|$)/.exec(message)
  if (errno !== undefined && connect) {
    const address = connect[1] || connect[2]
    const port = Number(connect[3])
    err = new Error(`connect ${code} ${address}:${port}`)
    Object.assign(err, { errno: -errno, code, syscall: 'connect', address, port })
    return err
  }
  // A Unix socket that cannot be reached: Node's `connect ENOENT /path`, its path as address.
  const unix = /^connect [A-Z]+ (\/.*)$/.exec(message)
  if (errno !== undefined && unix) {
    err = new Error(`connect ${code} ${unix[1]}`)
    Object.assign(err, { errno: -errno, code, syscall: 'connect', address: unix[1] })
    return err
  }
  if (errno !== undefined && code !== 'ENOTFOUND') {
    // A TLS alert that ended the handshake: Node's `write EPROTO <OpenSSL's words>`.
    const write = message.startsWith(`write ${code} `)
    err = new Error(write ? message : `read ${code}`)
    Object.assign(err, { errno: -errno, code, syscall: write ? 'write' : 'read' })
    return err
  }
  if (code === 'ENOTFOUND') {
    const host = message.replace(/^getaddrinfo ENOTFOUND /, '')
    err = new Error(`getaddrinfo ENOTFOUND ${host}`)
    Object.assign(err, { errno: -3008, code, syscall: 'getaddrinfo', hostname: host })
    return err
  }
  err = new Error(message)
  err.code = code
  return err
}

module.exports.nativeError = nativeError

/** A failed SUBSCRIBE, as MQTT.js's: the SUBACK that refused it is `packet`. */
class ErrorWithSubackPacket extends Error {
  /** @param {string} message @param {any} packet */
  constructor (message, packet) {
    super(message)
    this.packet = packet
    Object.setPrototypeOf(this, ErrorWithSubackPacket.prototype)
  }
}

module.exports.ErrorWithSubackPacket = ErrorWithSubackPacket
