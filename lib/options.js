// @ts-check
'use strict'

// Client options as MQTT.js handles them: the broker URL, `auth`, the protocol fallback, and
// where each connection attempt goes. As there, the options object given is the one the
// client keeps (`client.options`), with what the URL says merged under it.

const DEFAULT_PORTS = { mqtt: 1883, tcp: 1883, mqtts: 8883, ssl: 8883, tls: 8883, ws: 80, wss: 443 }
const SUPPORTED = new Set(['mqtt', 'tcp', 'mqtts', 'ssl', 'tls', 'ws', 'wss'])
/** MQTT.js's fallback order when the protocol is unknown (Node has the first four). */
const FALLBACK = ['mqtt', 'mqtts', 'ws', 'wss']

/**
 * What MQTT.js reads from a broker URL (its `url.parse` fields): host, port, protocol,
 * auth, path (with the query) and the query as an object.
 * @param {string} brokerUrl
 */
function parseUrl (brokerUrl) {
  let url
  try {
    url = new URL(brokerUrl)
  } catch {
    // A string without `scheme:` has no protocol (MQTT.js: url.parse gives none).
    if (!/^[a-z][a-z0-9+.-]*:/i.test(brokerUrl)) throw new Error('Missing protocol')
    throw new Error(`Invalid URL: ${brokerUrl}`)
  }
  /** @type {any} */
  const parsed = {}
  if (url.port) parsed.port = Number(url.port)
  parsed.host = url.hostname.replace(/^\[(.*)\]$/, '$1') || null
  parsed.query = Object.fromEntries(url.searchParams)
  const user = decodeURIComponent(url.username)
  const pass = decodeURIComponent(url.password)
  parsed.auth = user || pass ? (url.password ? `${user}:${pass}` : user) : null
  parsed.protocol = url.protocol
  // url.parse's path: pathname and search; special URLs (ws://) always have a pathname.
  const pathname = url.pathname || (url.host ? '/' : '')
  parsed.path = pathname || url.search ? decodeURIComponent(pathname) + url.search : null
  return parsed
}

/** MQTT.js `auth: 'user:pass'`. @param {any} opts */
function parseAuthOptions (opts) {
  if (!opts.auth) return
  const m = String(opts.auth).match(/^(.+):(.+)$/)
  if (m) {
    opts.username = m[1]
    opts.password = m[2]
  } else {
    opts.username = opts.auth
  }
}

/**
 * @param {string | any} [brokerUrl]
 * @param {any} [opts]
 * @returns {any} the options the client keeps (the object given, when only one is given)
 */
function parseOptions (brokerUrl, opts) {
  if (typeof brokerUrl === 'object' && brokerUrl !== null && !opts) {
    opts = brokerUrl
    brokerUrl = ''
  }
  opts = opts || {}
  const fromUrl = !!brokerUrl && typeof brokerUrl === 'string'
  if (fromUrl) {
    opts = { ...parseUrl(brokerUrl), ...opts }
    if (!opts.protocol) throw new Error('Missing protocol')
    opts.protocol = opts.protocol.replace(/:$/, '')
  }
  opts.unixSocket = opts.unixSocket || !!opts.protocol?.includes('+unix')
  if (opts.unixSocket) opts.protocol = opts.protocol.replace('+unix', '')
  else if (!opts.protocol?.startsWith('ws') && !opts.protocol?.startsWith('wx')) {
    if (fromUrl) {
      // The object is ours: made again without `path` rather than deleting it, which
      // would turn it into a dictionary (~700 bytes more per client, kept for its life).
      const { path, ...rest } = opts
      opts = rest
    } else if ('path' in opts) {
      delete opts.path
    }
  }
  parseAuthOptions(opts)
  if (opts.query && typeof opts.query.clientId === 'string') opts.clientId = opts.query.clientId
  if (opts.unixSocket) opts.socksProxy = undefined
  else if (opts.socksProxy === undefined) opts.socksProxy = process.env.MQTTJS_SOCKS_PROXY
  if (opts.cert && opts.key) {
    if (!opts.protocol) throw new Error('Missing secure protocol key')
    if (!['mqtts', 'wss', 'wxs', 'alis'].includes(opts.protocol)) {
      const secure = { mqtt: 'mqtts', ws: 'wss', wx: 'wxs', ali: 'alis' }[opts.protocol]
      if (!secure) throw new Error(`Unknown protocol for secure connection: "${opts.protocol}"!`)
      opts.protocol = secure
    }
  }
  if (!SUPPORTED.has(opts.protocol)) {
    // As MQTT.js: an unknown (or no) protocol becomes the first this platform speaks.
    const isSecure = opts.protocol === 'mqtts' || opts.protocol === 'wss' || opts.protocol === 'wxs' || opts.protocol === 'alis'
    opts.protocol = FALLBACK.filter((_p, i) => !(isSecure && i % 2 === 0))[0]
  }
  if (opts.clean === false && !opts.clientId) throw new Error('Missing clientId for unclean clients')
  opts.defaultProtocol = opts.protocol
  return opts
}

/**
 * Where the next connection attempt goes: MQTT.js's stream builders set `hostname`, `port`
 * (and, with `servers`, `host` and `protocol`) on the options at each attempt.
 * @param {any} client the MqttClient (its `_reconnectCount` turns the servers) @param {any} opts
 */
function nextServer (client, opts) {
  if (opts.servers && opts.servers.length) {
    if (!client._reconnectCount || client._reconnectCount >= opts.servers.length) client._reconnectCount = 0
    const sv = opts.servers[client._reconnectCount]
    opts.host = sv.host
    opts.port = sv.port
    opts.protocol = sv.protocol || opts.defaultProtocol
    opts.hostname = opts.host
    client._reconnectCount++
  }
  if (!opts.port) opts.port = DEFAULT_PORTS[opts.protocol] || 1883
  opts.hostname = opts.hostname || opts.host || 'localhost'
  return { host: String(opts.hostname), port: Number(opts.port) }
}

module.exports = { parseOptions, nextServer, DEFAULT_PORTS }
