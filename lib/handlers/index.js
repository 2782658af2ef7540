// @ts-check
'use strict'

// One handler per incoming packet kind, as MQTT.js's handlers/index: the keepalive count
// starts again on every ack (with reschedulePings) and on every PINGRESP; the publish itself
// does not move it (MQTT.js issue 1861).

const { handleConnack } = require('./connack')
const { handlePublish } = require('./publish')
const { handlePubrel } = require('./pubrel')
const { handleAck } = require('./ack')
const { handleAuth } = require('./auth')

/** @param {any} client the MqttClient @param {any} packet */
function handlePacket (client, packet) {
  switch (packet.cmd) {
    case 'connack': return handleConnack(client, packet)
    case 'publish': return handlePublish(client, packet)
    case 'pubrel': client.reschedulePing(); return handlePubrel(client, packet)
    case 'puback': case 'pubrec': case 'pubcomp': case 'suback': case 'unsuback':
      client.reschedulePing()
      return handleAck(client, packet)
    case 'disconnect': return client.emit('disconnect', packet)
    case 'auth': client.reschedulePing(); return handleAuth(client, packet)
    case 'pingresp': return client.reschedulePing(true)
  }
}

module.exports = { handlePacket }
