'use strict'

// Logging as MQTT.js logs: the `debug` package under MQTT.js's namespaces, so `DEBUG=mqttjs*`
// shows the client's steps at the points MQTT.js shows them (`mqttjs:client`; a client's
// `log` option takes those lines instead), plus, under `mqttjs:native`, what only the native
// side sees: connection attempts and their outcome, waits at the opening gate, reconnects,
// every packet in and out. Nothing is formatted while a namespace is off.

const createDebug = require('debug')

module.exports = {
  /** mqtt.connect() (MQTT.js's connect/index). */
  connect: createDebug('mqttjs'),
  /** The client, MQTT.js's `this.log` unless the `log` option is given. */
  client: createDebug('mqttjs:client'),
  /** The native side. */
  native: createDebug('mqttjs:native')
}
