'use strict'

// mqtt-napi: the public entry, mirroring the `mqtt` package (MQTT.js 5.x).
//
// What is here today: the native codec, reachable as require('mqtt-napi/packet') with
// mqtt-packet's API. The client (connect, connectAsync, MqttClient...) and the server API
// arrive with their own work; each name is added here when it works, never as a stub.

const packet = require('./lib/packet')

module.exports = {
  /** The native codec with mqtt-packet 9's API (also at 'mqtt-napi/packet'). */
  packet
}
