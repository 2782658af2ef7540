// @ts-check
'use strict'

// mqtt.connect([url], [options]) and connectAsync: URL and option handling as MQTT.js does
// it, for the transports this package speaks natively.

const { MqttClient } = require('./client')

const DEFAULT_PORTS = { mqtt: 1883, tcp: 1883, mqtts: 8883, ssl: 8883, tls: 8883, ws: 80, wss: 443 }
const SUPPORTED = new Set(['mqtt', 'tcp', 'mqtts', 'ssl', 'tls', 'ws', 'wss'])

/**
 * @param {string | any} [brokerUrl]
 * @param {any} [opts]
 */
function parseOptions (brokerUrl, opts) {
  if (typeof brokerUrl === 'object' && brokerUrl !== null && !opts) {
    opts = brokerUrl
    brokerUrl = ''
  }
  opts = { ...(opts || {}) }
  if (brokerUrl && typeof brokerUrl === 'string') {
    const url = new URL(brokerUrl)
    const protocol = url.protocol.replace(/:$/, '')
    opts.protocol = protocol
    opts.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
    opts.host = opts.hostname
    if (url.port) opts.port = Number(url.port)
    // As MQTT.js: the URL's path (a WebSocket path, or the socket file of mqtt+unix://).
    if (!('path' in opts)) opts.path = decodeURIComponent(url.pathname) + url.search
    if (url.username) opts.username = decodeURIComponent(url.username)
    if (url.password) opts.password = decodeURIComponent(url.password)
    for (const [k, v] of url.searchParams) {
      if (!(k in opts)) opts[k] = v
    }
  }
  if (opts.host && !opts.hostname) opts.hostname = opts.host
  if (!opts.protocol) opts.protocol = 'mqtt'
  opts.unixSocket = !!opts.unixSocket || opts.protocol.includes('+unix')
  if (opts.unixSocket) opts.protocol = opts.protocol.replace('+unix', '')
  else if (!opts.protocol.startsWith('ws')) delete opts.path
  // As MQTT.js: a client certificate and key turn mqtt:// into mqtts://.
  if (opts.cert && opts.key && (opts.protocol === 'mqtt' || opts.protocol === 'tcp')) opts.protocol = 'mqtts'
  if (!SUPPORTED.has(opts.protocol)) {
    throw new Error(`mqtt-napi does not speak ${opts.protocol}:// yet (supported: mqtt://, tcp://, mqtts://, ssl://, tls://, ws://, wss://, mqtt+unix://)`)
  }
  if (!opts.port) opts.port = DEFAULT_PORTS[opts.protocol]
  opts.port = Number(opts.port)
  if (!opts.hostname) opts.hostname = 'localhost'
  opts.host = opts.hostname
  if (opts.servers && opts.servers.length) {
    opts.hostname = opts.servers[0].host
    opts.host = opts.hostname
    opts.port = opts.servers[0].port || opts.port
  }
  return opts
}

/** @param {any} [brokerUrl] @param {any} [opts] */
function connect (brokerUrl, opts) {
  return new MqttClient(null, parseOptions(brokerUrl, opts))
}

/**
 * Resolves with the client once connected; rejects on the first error (or, with
 * allowRetries false, when the first attempt closes).
 * @param {any} brokerUrl @param {any} [opts] @param {boolean} [allowRetries]
 */
function connectAsync (brokerUrl, opts, allowRetries = true) {
  return new Promise((resolve, reject) => {
    const client = connect(brokerUrl, opts)
    const listeners = {
      connect: () => { off(); resolve(client) },
      end: () => { off(); resolve(client) },
      error: (err) => { off(); client.end(); reject(err) },
      close: () => { if (allowRetries === false) listeners.error(new Error("Couldn't connect to server")) }
    }
    const off = () => { for (const [k, f] of Object.entries(listeners)) client.removeListener(k, f) }
    for (const [k, f] of Object.entries(listeners)) client.on(k, f)
  })
}

module.exports = { connect, connectAsync, parseOptions }
