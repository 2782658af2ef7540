// @ts-check
'use strict'

// An incoming PUBLISH, as MQTT.js's handlers/publish: QoS 0 is delivered at once; QoS 1 is
// delivered, then acknowledged once `handleMessage` is done; QoS 2 is stored and answered
// with PUBREC, and delivered at PUBREL (handlers/pubrel.js). `customHandleAcks` (MQTT 5)
// chooses the reason code. The acks themselves are written by the native session.

const { ReasonCodes } = require('../errors')

const noop = () => {}

/** @param {any} client the MqttClient @param {any} packet */
function handlePublish (client, packet) {
  const { payload, qos, messageId } = packet
  if (client._logs) {
    client.log('handlePublish: packet %o', packet)
    client.log('handlePublish: qos %d', qos)
  }
  let topic = packet.topic
  const alias = packet.properties?.topicAlias
  if (alias !== undefined && client.options.protocolVersion === 5) {
    // As MQTT.js: the event gets the topic the alias stands for, the packet stays as
    // received (topic ''); the native session has checked the alias already.
    if (topic === '') topic = client._aliasRecv?.get(alias) ?? ''
    else (client._aliasRecv ??= new Map()).set(alias, topic)
  }
  if (qos === 0) {
    client.emit('message', topic, payload, packet)
    client._handleMessage(packet, noop)
    return
  }
  const ack = client._acker()
  client.options.customHandleAcks(topic, payload, packet, (/** @type {any} */ error, /** @type {any} */ code) => {
    if (typeof error === 'number') { code = error; error = null }
    if (error) return client.emit('error', error)
    code = code || 0
    if (!ReasonCodes.validPubackCode(code)) return client.emit('error', new Error(`Wrong reason code for ${qos === 1 ? 'puback' : 'pubrec'}`))
    if (qos === 1) {
      if (!code) client.emit('message', topic, payload, packet)
      client._handleMessage(packet, (/** @type {any} */ err) => {
        if (err) return
        ack.puback(messageId, code)
      })
    } else if (code) {
      ack.pubrec(messageId, code)
    } else {
      // Kept with its topic, so the message delivered at PUBREL has it.
      client.incomingStore.put(topic === packet.topic ? packet : { ...packet, topic }, (/** @type {any} */ err) => {
        if (err) return client.emit('error', err)
        ack.pubrec(messageId, 0)
      })
    }
  })
}

module.exports = { handlePublish }
