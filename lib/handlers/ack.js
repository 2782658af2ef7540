// @ts-check
'use strict'

// Acks of what the client sent (PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK), as MQTT.js's
// handlers/ack: the flow's callback is called and the outgoing store updated. Which ack
// belongs to which flow, and resending, is decided by the native session.

const { ReasonCodes, ErrorWithReasonCode } = require('../errors')

const noop = () => {}

/** @param {any} client the MqttClient @param {any} packet */
function handleAck (client, packet) {
  const id = packet.messageId
  if (client._logs) client.log('_handleAck :: packet type %s', packet.cmd)
  if (packet.cmd === 'pubrec' && !(packet.reasonCode >= 0x80)) {
    // PUBREC moves the flow on to PUBREL, which takes the PUBLISH's place in the store.
    client.outgoingStore.put({ cmd: 'pubrel', qos: 2, messageId: id }, noop)
    return
  }
  const entry = client.outgoing[id]
  if (!entry) return
  const rc = packet.reasonCode
  delete client.outgoing[id]
  client.messageIdProvider.deallocate?.(id)
  if (packet.cmd === 'suback' || packet.cmd === 'unsuback') {
    let err = null
    if (packet.cmd === 'suback') {
      for (const code of packet.granted) {
        if (code & 0x80) {
          err = new ErrorWithReasonCode(`Subscribe error: ${ReasonCodes[code]}`, code)
        }
      }
    }
    entry.cb(err, packet)
  } else {
    // As MQTT.js: the callback gets the stored PUBLISH; a reason code other than success
    // (0) or no matching subscribers (16) is an error, given with the ack that carried it.
    const err = rc && rc !== 16 ? new ErrorWithReasonCode(`Publish error: ${ReasonCodes[rc]}`, rc) : null
    // After PUBREC the store holds the PUBREL, and that is what QoS 2 callbacks get.
    const rel = packet.cmd === 'pubcomp' ? { cmd: 'pubrel', qos: 2, messageId: id } : null
    client.outgoingStore.del({ messageId: id }, (/** @type {any} */ _e, /** @type {any} */ stored) => entry.cb(err, err ? packet : stored || rel))
  }
  if (client.disconnecting && Object.keys(client.outgoing).length === 0) client.emit('outgoingEmpty')
}

module.exports = { handleAck }
