'use strict'

// The server-side API under test: this package's by default; with MQTT_IMPL=mqtt, the
// `mqtt-connection` package (the same API, as early MQTT.js had it) wrapped in the few lines
// of net/tls code its README shows.
const net = require('net')
const tls = require('tls')
const path = require('path')
const { upstream } = require('./impl')

function upstreamApi () {
  const Connection = require('mqtt-connection')
  const serve = (server, event, listener) => {
    server.on(event, (socket) => server.emit('client', new Connection(socket)))
    if (listener) server.on('client', listener)
    return server
  }
  return {
    MqttConnection: Connection,
    // (opts, listener) as ours; mqtt-connection takes no options (maxPacketSize...).
    createServer: (opts, listener) => serve(new net.Server(), 'connection', typeof opts === 'function' ? opts : listener),
    createSecureServer: (opts, listener) => serve(new tls.Server(opts), 'secureConnection', listener),
    createConnection (port, host, cb) {
      const socket = net.createConnection(port, host)
      const conn = new Connection(socket)
      socket.once('connect', () => {
        conn.emit('connected')
        if (cb) cb(null, conn)
      })
      return conn
    }
  }
}

module.exports = upstream ? upstreamApi() : require(path.join(__dirname, '..', '..'))
