// @ts-check
'use strict'

// The device runtime's global `mqtt` object: connect(url[, options]) and set(name[, value]).

const { DeviceClient } = require('./client')
const { parseDeviceOptions } = require('./options')
const { MqttError, Codes, Errno } = require('./errors')

const SETTINGS = new Set(['ssl.ca', 'ssl.cert', 'ssl.key'])

/** @type {{ ca?: string, cert?: string, key?: string }} what `mqtt.set` holds */
const tls = {}

/**
 * A Client connecting to `url`, or undefined when an argument is invalid.
 * @param {any} url @param {any} [options]
 */
function connect (url, options) {
  const settings = parseDeviceOptions(url, options)
  if (!settings) return undefined
  return new DeviceClient(settings, { ...tls })
}

/**
 * `set('ssl.ca' | 'ssl.cert' | 'ssl.key'[, pem])`: a PEM string used by every later
 * `mqtts://` connection; no value clears it. Another name or a value that is not a string
 * throws a TypeError.
 * @param {any} name @param {any} [value]
 */
function set (name, value) {
  if (!SETTINGS.has(name)) throw new TypeError(`mqtt.set: unknown setting ${JSON.stringify(name)} (ssl.ca, ssl.cert, ssl.key)`)
  if (value !== undefined && typeof value !== 'string') throw new TypeError(`mqtt.set('${name}'): the value must be a PEM string`)
  const key = /** @type {'ca' | 'cert' | 'key'} */ (name.slice(4))
  if (value === undefined) delete tls[key]
  else tls[key] = value
}

module.exports = { connect, set, Client: DeviceClient, MqttError, Codes, Errno }
