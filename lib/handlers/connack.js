// @ts-check
'use strict'

// CONNACK, as MQTT.js 5.16's handlers/connack: the broker's limits go into the options (MQTT 5
// server keep alive, maximum packet size) and `serverProperties`; a refusal is an error with
// its reason code, and stops reconnecting unless `reconnectOnConnackError`.

const { ReasonCodes, ErrorWithReasonCode } = require('../errors')

/** @param {any} client the MqttClient @param {any} packet */
function handleConnack (client, packet) {
  const { options } = client
  clearTimeout(client.connackTimer)
  const rc = options.protocolVersion === 5 ? packet.reasonCode : packet.returnCode
  const props = packet.properties
  client._serverProperties = props
  if (props) {
    if (props.serverKeepAlive && options.keepalive) options.keepalive = props.serverKeepAlive
    if (props.maximumPacketSize) {
      if (!options.properties) options.properties = {}
      options.properties.maximumPacketSize = props.maximumPacketSize
    }
  }
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
