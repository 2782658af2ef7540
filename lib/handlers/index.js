// @ts-check
'use strict'

// One handler per incoming packet kind, as MQTT.js's handlers/index: the keepalive count
// starts again on every ack (with reschedulePings) and on every PINGRESP. An incoming PUBLISH
// does not move it: the broker counts only what the client sends, so a client that only
// receives must still ping within the keepalive or be dropped.

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
