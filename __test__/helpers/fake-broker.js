'use strict'

// A scripted MQTT server on loopback for fault tests: it speaks through mqtt-packet (the
// reference codec, independent of ours) and lets a test decide what to answer.

const net = require('node:net')
const tls = require('node:tls')
const mqttPacket = require('mqtt-packet')

/**
 * Starts a server; `onPacket(packet, conn)` sees every packet. `conn.send(obj)` writes one.
 * `tls`: { key, cert } to serve TLS. Returns { port, connections, close() }.
 */
function fakeBroker (onPacket, { version = 4, tls: tlsOptions } = {}) {
  const connections = []
  const listen = tlsOptions ? (f) => tls.createServer(tlsOptions, f) : (f) => net.createServer(f)
  const server = listen((socket) => {
    const parser = mqttPacket.parser({ protocolVersion: version })
    const conn = {
      socket,
      packets: [],
      send: (p) => socket.write(mqttPacket.generate(p, { protocolVersion: version })),
      destroy: () => socket.destroy()
    }
    connections.push(conn)
    parser.on('packet', (p) => { conn.packets.push(p); onPacket(p, conn) })
    socket.on('data', (d) => parser.parse(d))
    socket.on('error', () => {})
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        connections,
        close: () => new Promise((r) => {
          for (const c of connections) c.socket.destroy()
          server.close(() => r())
        })
      })
    })
  })
}

/** Answers CONNECT with a successful CONNACK. */
function acceptConnect (p, conn) {
  if (p.cmd === 'connect') conn.send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
}

module.exports = { fakeBroker, acceptConnect }
