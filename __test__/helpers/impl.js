'use strict'

// Which implementation the suite runs against: this package by default, upstream when
// MQTT_IMPL=mqtt (the drop-in check: the same test must pass on both).
const path = require('path')

const upstream = process.env.MQTT_IMPL === 'mqtt'
const root = path.join(__dirname, '..', '..')

module.exports = {
  upstream,
  name: upstream ? 'mqtt' : 'mqtt-napi',
  mqtt: () => (upstream ? require('mqtt') : require(root)),
  packet: () => (upstream ? require('mqtt-packet') : require(path.join(root, 'packet.js')))
}
