// @ts-check
'use strict'

// An incoming PUBREL (QoS 2, second half), as MQTT.js's handlers/pubrel: the stored PUBLISH
// is delivered, and PUBCOMP follows once `handleMessage` is done.

const noop = () => {}

/** @param {any} client the MqttClient @param {any} pubrel */
function handlePubrel (client, pubrel) {
  if (client._logs) client.log('handling pubrel packet')
  const ack = client._acker()
  client.incomingStore.get(pubrel, (/** @type {any} */ err, /** @type {any} */ pub) => {
    if (err || !pub) {
      ack.pubcomp(pubrel.messageId)
      return
    }
    client.emit('message', pub.topic, pub.payload, pub)
    client._handleMessage(pub, (/** @type {any} */ err2) => {
      if (err2) return
      client.incomingStore.del(pub, noop)
      ack.pubcomp(pubrel.messageId)
    })
  })
}

module.exports = { handlePubrel }
