// @ts-check
'use strict'

// The device runtime's `mqtt.connect(url[, options])` arguments, checked as its documentation
// states them: anything outside a range makes connect() answer undefined. Only the ranges
// are the runtime's; its resource limits (one session, five subscriptions) are not copied.

const INT32_MAX = 2147483647
const INFINITE_RETRIES = 1855

/** @param {string} s */
const bytes = (s) => Buffer.byteLength(s, 'utf8')

/** @param {any} v @param {number} lo @param {number} hi */
const intIn = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi

/** @param {any} v @param {number} lo @param {number} hi */
const textIn = (v, lo, hi) => typeof v === 'string' && bytes(v) >= lo && bytes(v) <= hi

/** 8 random decimal digits after `mqttjs_`, as the runtime's default client id. */
function defaultClientId () {
  let digits = ''
  for (let i = 0; i < 8; i++) digits += Math.floor(Math.random() * 10)
  return `mqttjs_${digits}`
}

/**
 * `mqtt://` or `mqtts://` host[:port], at most 255 bytes; the port is decimal digits and
 * defaults to 1883 for both schemes, as the runtime documents.
 * @param {any} url @returns {{ secure: boolean, host: string, port: number } | null}
 */
function parseDeviceUrl (url) {
  if (typeof url !== 'string' || bytes(url) > 255) return null
  const m = /^(mqtts?):\/\/(\[[0-9A-Fa-f:.]+\]|[^:/?#[\]@\s]+)(?::(\d{1,5}))?\/?$/.exec(url)
  if (!m) return null
  const port = m[3] === undefined ? 1883 : Number(m[3])
  if (port < 1 || port > 65535) return null
  return { secure: m[1] === 'mqtts', host: m[2].replace(/^\[(.*)\]$/, '$1'), port }
}

/**
 * 0 sets no limit (a wait of zero could never succeed); the longest a timer can wait is the
 * limit, less the margin the native side adds to it.
 * @param {number} ms
 */
const connectTimeout = (ms) => (ms === 0 ? INT32_MAX - 1000 : Math.min(ms, INT32_MAX - 1000))

/**
 * The connection settings, defaults filled in, or null when an argument is invalid.
 * @param {any} url @param {any} options
 */
function parseDeviceOptions (url, options) {
  const target = parseDeviceUrl(url)
  if (!target) return null
  if (options !== undefined && (options === null || typeof options !== 'object')) return null
  const o = options || {}
  const given = (/** @type {string} */ k) => o[k] !== undefined
  if (given('keepalive') && !intIn(o.keepalive, 0, INT32_MAX)) return null
  if (given('clientId') && !textIn(o.clientId, 1, 127)) return null
  if (given('protocolVersion') && o.protocolVersion !== 3 && o.protocolVersion !== 4) return null
  const protocolVersion = given('protocolVersion') ? o.protocolVersion : 4
  const protocolId = given('protocolId') ? o.protocolId : (protocolVersion === 3 ? 'MQIsdp' : 'MQTT')
  // MQTT 3.1 is named MQIsdp and 3.1.1 MQTT; any other pairing no broker accepts.
  if (protocolId !== (protocolVersion === 3 ? 'MQIsdp' : 'MQTT')) return null
  if (given('reconnectPeriod') && !intIn(o.reconnectPeriod, 0, 10000)) return null
  if (given('connectTimeout') && !intIn(o.connectTimeout, 0, INT32_MAX)) return null
  if (given('username') && !textIn(o.username, 1, 511)) return null
  if (given('password') && !textIn(o.password, 1, 511)) return null
  if (given('reconnectCount') && !(intIn(o.reconnectCount, 0, 999) || o.reconnectCount === INFINITE_RETRIES)) return null
  if (given('sendBuffSize') && !intIn(o.sendBuffSize, 128, 65536)) return null
  if (given('recvBuffSize') && !intIn(o.recvBuffSize, 128, 65536)) return null
  const keepalive = given('keepalive') ? o.keepalive : 60
  return {
    ...target,
    // The CONNECT field is 16 bits: longer keepalives are the longest MQTT can say.
    keepalive: Math.min(keepalive, 65535),
    clientId: given('clientId') ? o.clientId : defaultClientId(),
    protocolId,
    protocolVersion,
    reconnectPeriod: given('reconnectPeriod') ? o.reconnectPeriod : 1000,
    connectTimeout: connectTimeout(given('connectTimeout') ? o.connectTimeout : 30000),
    username: given('username') ? o.username : undefined,
    password: given('password') ? o.password : undefined,
    reconnectCount: given('reconnectCount') ? o.reconnectCount : 0,
    sendBuffSize: given('sendBuffSize') ? o.sendBuffSize : 2560,
    recvBuffSize: given('recvBuffSize') ? o.recvBuffSize : 512
  }
}

module.exports = { parseDeviceOptions, parseDeviceUrl, defaultClientId, INFINITE_RETRIES }
