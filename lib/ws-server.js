// @ts-check
'use strict'

// createWebSocketServer: MQTT over WebSocket on the server side, with the `ws` package (an
// optional peer dependency: installed by whoever serves WebSocket). Each upgraded socket
// becomes an MqttServerClient over ws's Duplex stream, announced with `client`, as on
// createServer.

const http = require('http')
const https = require('https')
const { MqttServerClient, connectionOptions } = require('./server')

/**
 * @param {any} [opts] path (default: any), maxPacketSize, protocolVersion; `server` to
 *   attach to an existing http(s) server; key and cert for an https server (wss://)
 * @param {(client: any) => void} [listener]
 * @returns {any} the http(s) server (listen, close and address work as usual)
 */
function createWebSocketServer (opts, listener) {
  if (typeof opts === 'function') {
    listener = opts
    opts = {}
  }
  opts = opts || {}
  let ws
  try {
    ws = require('ws')
  } catch {
    throw new Error("mqtt.createWebSocketServer needs the 'ws' package: npm install ws")
  }
  const server = opts.server || (opts.key && opts.cert ? https.createServer({ key: opts.key, cert: opts.cert, ca: opts.ca }) : http.createServer())
  server._connectionOptions = connectionOptions(opts)
  const wss = new ws.WebSocketServer({
    server,
    path: opts.path,
    // MQTT over WebSocket names its subprotocol: `mqtt`, or `mqttv3.1` for MQTT 3.1.
    handleProtocols: (/** @type {Set<string>} */ protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false)
  })
  wss.on('connection', (/** @type {any} */ socket, /** @type {any} */ req) => {
    const stream = ws.createWebSocketStream(socket)
    const client = new MqttServerClient(stream, server)
    client.request = req
    server.emit('client', client)
  })
  server.wss = wss
  // Closing the server also closes the upgraded connections, which http.Server no longer tracks.
  const close = server.close.bind(server)
  server.close = (/** @type {any} */ cb) => {
    for (const c of wss.clients) c.terminate()
    wss.close()
    return close(cb)
  }
  if (listener) server.on('client', listener)
  return server
}

module.exports = { createWebSocketServer }
