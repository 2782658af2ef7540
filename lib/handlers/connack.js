// @ts-check
'use strict'

// CONNACK, as MQTT.js 5.16's handlers/connack: the broker's properties (MQTT 5: its limits,
// server keep alive) go into `serverProperties`, the options stay as the program set them
// (`client.keepalive` is the keepalive in force); a refusal is an error with its reason
// code, and stops reconnecting unless `reconnectOnConnackError`.

const { ReasonCodes, ErrorWithReasonCode } = require('../errors')

/** @param {any} client the MqttClient @param {any} packet */
function handleConnack (client, packet) {
  const { options } = client
  client.log('_handleConnack')
  clearTimeout(client.connackTimer)
  client.connackTimer = null
  const rc = options.protocolVersion === 5 ? packet.reasonCode : packet.returnCode
  client._serverProperties = packet.properties
  if (rc === 0) {
    client.reconnecting = false
    client._onConnect(packet)
    return
  }
  client.connackPacket = packet
  // As MQTT.js 5.16: no reconnect after a refusal unless `reconnectOnConnackError` (the
  // native session has closed the connection already).
  client.reconnectSuppressed = true
  try {
    client.emit('error', new ErrorWithReasonCode(`Connection refused: ${ReasonCodes[rc]}`, rc))
  } finally {
    if (options.reconnectOnConnackError) {
      client.reconnectSuppressed = false
      client._setupReconnect()
    }
  }
}

module.exports = { handleConnack }
