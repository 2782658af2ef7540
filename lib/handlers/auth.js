// @ts-check
'use strict'

// An incoming AUTH (MQTT 5 enhanced authentication), as MQTT.js 5.16's handlers/auth: the
// application's `handleAuth(packet, cb)` answers a "continue" (reason code 24) with the next
// AUTH; anything out of order is protocol error 130 and closes the connection.

const { ErrorWithReasonCode } = require('../errors')

const PROTOCOL_ERROR = 130

/** @param {any} client @param {Error} err */
function rejectAuth (client, err) {
  client._native?.dropConnection()
  client._forcedCleanUpReconnect()
  client.emit('error', err)
}

/** @param {any} client the MqttClient @param {any} packet */
function handleAuth (client, packet) {
  const version = client.options.protocolVersion
  const rc = packet.reasonCode
  if (version !== 5) {
    rejectAuth(client, new ErrorWithReasonCode(`Protocol error: Auth packets are only supported in MQTT 5. Your version:${version}`, PROTOCOL_ERROR))
    return
  }
  const method = client._authenticationMethod
  if (!method) {
    rejectAuth(client, new ErrorWithReasonCode('Protocol error: Auth packet received but enhanced authentication was not requested', PROTOCOL_ERROR))
    return
  }
  if (packet.properties?.authenticationMethod !== method) {
    rejectAuth(client, new ErrorWithReasonCode(`Protocol error: Auth packet Authentication Method does not match the "${method}" sent in CONNECT`, PROTOCOL_ERROR))
    return
  }
  client.handleAuth(packet, (/** @type {any} */ err, /** @type {any} */ next) => {
    if (err) {
      rejectAuth(client, err)
      return
    }
    if (rc === 0) return
    if (rc === 24) {
      if (!next) {
        rejectAuth(client, new ErrorWithReasonCode('Protocol error: No auth packet to continue the authentication exchange', PROTOCOL_ERROR))
        return
      }
      client.reconnecting = false
      const auth = { cmd: 'auth', ...next }
      try {
        client._send(auth)
        client.emit('packetsend', auth)
      } catch (e) {
        rejectAuth(client, /** @type {Error} */ (e))
      }
      return
    }
    rejectAuth(client, new ErrorWithReasonCode(`Protocol error: Auth packet reason code ${rc} is not one a broker may send`, PROTOCOL_ERROR))
  })
}

module.exports = { handleAuth }
