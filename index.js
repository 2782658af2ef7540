'use strict'

// mqtt-napi: the public entry, mirroring the `mqtt` package (MQTT.js 5.x). Each name is
// added here when it works, never as a stub.

const packet = require('./lib/packet')
const { MqttClient } = require('./lib/client')
const { connect, connectAsync } = require('./lib/connect')
const { Store } = require('./lib/store')
const { DefaultMessageIdProvider, UniqueMessageIdProvider } = require('./lib/message-id')
const { ReasonCodes, ErrorWithReasonCode, ErrorWithSubackPacket } = require('./lib/errors')
const { KeepaliveManager } = require('./lib/keepalive-manager')
const { isValidTopic, validateTopics } = require('./lib/validate')
const { applyMixin, nextTick } = require('./lib/shared')
const { MqttConnection } = require('./lib/connection')
const { MqttServer, MqttSecureServer, MqttServerClient, createServer, createSecureServer, createConnection } = require('./lib/server')
const { createWebSocketServer } = require('./lib/ws-server')

const MQTTJS_VERSION = MqttClient.VERSION

module.exports = {
  connect,
  connectAsync,
  MqttClient,
  Client: MqttClient,
  Store,
  DefaultMessageIdProvider,
  UniqueMessageIdProvider,
  KeepaliveManager,
  ReasonCodes,
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
  nextTick,
  MQTTJS_VERSION,
  applyMixin,
  validateTopic: isValidTopic,
  validateTopics,
  // The server side of early MQTT.js (and the mqtt-connection package).
  MqttConnection,
  createConnection,
  createServer,
  createSecureServer,
  createWebSocketServer,
  MqttServer,
  MqttSecureServer,
  MqttServerClient,
  /** The native codec with mqtt-packet 9's API (also at 'mqtt-napi/packet'). */
  packet
}
module.exports.default = module.exports
