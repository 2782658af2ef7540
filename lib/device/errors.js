// @ts-check
'use strict'

// The device runtime's MqttError (`{ code, message }`, code 0 meaning success) and its
// connection error numbers (`client.get('errnoConnect')`).

const MESSAGES = {
  0: 'OK',
  1: 'Connection failed',
  10: 'Illegal argument',
  11: 'Disconnected',
  12: 'Publish failed',
  13: 'Subscribe failed',
  14: 'Unsubscribe failed',
  255: 'Other error'
}

const Codes = Object.freeze({
  OK: 0,
  CONNECTION_FAILED: 1,
  ILLEGAL_ARGUMENT: 10,
  DISCONNECTED: 11,
  PUBLISH_FAILED: 12,
  SUBSCRIBE_FAILED: 13,
  UNSUBSCRIBE_FAILED: 14,
  OTHER: 255
})

const Errno = Object.freeze({
  OK: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
  CONNECTION_FAILED: 6,
  TLS_ERROR: 7
})

/** `{ code, message }`; `cause` holds the Node or MQTT.js error behind it, when there is one. */
class MqttError extends Error {
  /** @param {number} code @param {any} [cause] */
  constructor (code, cause) {
    super(/** @type {any} */ (MESSAGES)[code] ?? MESSAGES[255], cause === undefined ? undefined : { cause })
    this.name = 'MqttError'
    this.code = code
  }
}

/**
 * The errnoConnect for a failed connection attempt: the CONNACK return code (1-5), 7 for
 * TLS (a handshake or certificate failure), else 6 (network).
 * @param {any} err the attempt's error, if any @param {boolean} secure
 */
function errnoOf (err, secure) {
  if (!err) return Errno.CONNECTION_FAILED
  const code = err.code
  if (Number.isInteger(code) && code >= 1 && code <= 5) return code
  // Socket errors are E-words (ECONNREFUSED, ETIMEDOUT, ECONNRESET): the network's. Over
  // TLS, anything else is the handshake's or the certificate's.
  if (secure && !(typeof code === 'string' && /^E[A-Z]+$/.test(code))) return Errno.TLS_ERROR
  return Errno.CONNECTION_FAILED
}

module.exports = { MqttError, Codes, Errno, errnoOf }
