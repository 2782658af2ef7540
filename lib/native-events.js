// @ts-check
'use strict'

// The native client's events, drained as batches: a word tape (event kinds and offsets) over
// one buffer of bytes (src/binding/client_calls.rs, client_drain). This runs them, in order,
// against the MqttClient.

const { readPacket } = require('./packet-tape')
const { openStream, endStream, writeStream } = require('./js-stream')
const { handlePacket } = require('./handlers')

// The event kinds, defined once, in src/binding/client_tape.rs.
const {
  PACKET, ERROR, CLOSE, RECONNECT, FINISHED, SENT, RECEIVED, WRITTEN, OPEN_STREAM, STREAM_WRITE, STREAM_END, LOG
} = require('./native').eventKinds()

/** A packet in a log line: its kind, id, topic, QoS and size. @param {any} p */
function describe (p) {
  let s = p.cmd
  if (p.messageId) s += ` id ${p.messageId}`
  if (p.cmd === 'publish') s += ` topic '${p.topic}' qos ${p.qos}${p.retain ? ' retain' : ''}${p.dup ? ' dup' : ''}, ${p.payload ? p.payload.length : 0} B`
  const rc = p.reasonCode ?? p.returnCode
  if (rc) s += ` code ${rc}`
  if (p.granted) s += ` granted ${p.granted.join(',')}`
  return s
}

/**
 * A packet the native side wrote, as MQTT.js makes the same packet before writing it (its
 * `packetsend`): acks carry their id and a reason code only where MQTT.js gives one, not the
 * parser's fields (dup, length, topic, payload...). @param {any} p
 */
function asSent (p) {
  const rc = p.reasonCode
  switch (p.cmd) {
    case 'puback': return { cmd: 'puback', messageId: p.messageId, reasonCode: rc ?? 0 }
    case 'pubrec': return rc ? { cmd: 'pubrec', messageId: p.messageId, reasonCode: rc } : { cmd: 'pubrec', messageId: p.messageId }
    case 'pubrel': return rc ? { cmd: 'pubrel', qos: 2, messageId: p.messageId, reasonCode: rc } : { cmd: 'pubrel', qos: 2, messageId: p.messageId }
    case 'pubcomp': return rc ? { cmd: 'pubcomp', messageId: p.messageId, reasonCode: rc } : { cmd: 'pubcomp', messageId: p.messageId }
    case 'pingreq': return { cmd: 'pingreq' }
    default: return p
  }
}

/**
 * Runs the queued batches (client._batches). If a listener throws, the rest of the batch
 * still runs (on the next tick) before the exception propagates as usual; a handleMessage
 * that has not called back yet (client._awaitingHandle) pauses them.
 * @param {any} client the MqttClient
 */
function runBatches (client) {
  const batches = client._batches
  while (batches.length > 0) {
    const batch = batches[0]
    const { t, bytes, large } = batch
    while (batch.i < t.length) {
      if (client._awaitingHandle) return
      const kind = t[batch.i++]
      try {
        switch (kind) {
          case PACKET: {
            const [packet, next] = readPacket(t, batch.i, bytes, large)
            batch.i = next
            // As MQTT.js, which destroys the socket: nothing read after end(true) counts
            // (an ack not handled leaves its message in the outgoing store), but for a
            // PUBREC, which the session has already answered with PUBREL: the store must
            // hold the PUBREL, as MQTT.js's does once it has sent one.
            if (!client._forcedEnd || packet.cmd === 'pubrec') handlePacket(client, packet)
            break
          }
          case SENT: case RECEIVED: {
            const [packet, next] = readPacket(t, batch.i, bytes)
            batch.i = next
            if (client._nativeLogs) client._nativeLog(`packet ${kind === SENT ? 'out' : 'in'}: ${describe(packet)}`)
            // The CONNECT was reported by connect() when it was made, as MQTT.js does.
            if (kind === SENT && packet.cmd === 'connect') break
            // (Reported for the log alone when nobody listens.)
            if (kind === SENT ? !client._observe.sent : !client._observe.received) break
            client.emit(kind === SENT ? 'packetsend' : 'packetreceive', kind === SENT ? asSent(packet) : packet)
            break
          }
          case ERROR: {
            const code = bytes.toString('utf8', t[batch.i], t[batch.i + 1])
            const message = bytes.toString('utf8', t[batch.i + 2], t[batch.i + 3])
            const reason = t[batch.i + 4]
            batch.i += 5
            client._onError(code, message, reason)
            break
          }
          case WRITTEN: {
            const upto = t[batch.i] + t[batch.i + 1] * 0x100000000
            const dropped = t[batch.i + 2] === 1
            batch.i += 3
            client._onWritten(upto, dropped)
            break
          }
          case OPEN_STREAM: openStream(client, client._native); break
          case STREAM_WRITE: {
            writeStream(client, bytes.subarray(t[batch.i], t[batch.i + 1]))
            batch.i += 2
            break
          }
          case STREAM_END: endStream(client); break
          case LOG: {
            client._nativeLog(bytes.toString('utf8', t[batch.i], t[batch.i + 1]))
            batch.i += 2
            break
          }
          case CLOSE: client._onClose(); break
          case RECONNECT: client.emit('reconnect'); break
          case FINISHED: client._onFinished(); break
        }
      } catch (err) {
        process.nextTick(() => runBatches(client))
        throw err
      }
    }
    batches.shift()
  }
  // Let go of the room the queue grew (17 slots at its first push): thousands of idle
  // clients would each keep it. Setting length 0 gives an empty array its initial store.
  batches.length = 0
}

module.exports = { runBatches }
