// @ts-check
'use strict'

// Connections over a Duplex from a `streamBuilder` (MQTT.js custom streams, and WebSocket
// with transformWsUrl/createWebsocket): the builder is called when the connection attempt
// starts (synchronously, as MQTT.js does, so its exceptions reach the caller); when the
// native driver asks for the stream, what it reads is fed to the native parser, and what
// the native encoder writes comes back as STREAM_WRITE events.

/**
 * Builds the Duplex of the attempt that starts (MQTT.js calls its builder in connect()),
 * and listens to it at once: a stream that fails before the driver asks for it is not an
 * unhandled error.
 * @param {any} client the MqttClient
 */
function buildStream (client) {
  const s = client.streamBuilder(client)
  listen(client, s)
  client._nextStream = s
  client.stream = s
  return s
}

/** @param {any} client @param {any} s */
function listen (client, s) {
  const state = { ended: false }
  s[ENDED] = state
  const current = () => client._jsStream === s
  s.on('data', (/** @type {any} */ chunk) => { if (current()) client._native?.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk) })
  const ended = () => {
    state.ended = true
    if (current()) client._native?.feedEnd()
  }
  s.on('end', ended)
  s.on('close', ended)
  s.on('error', (/** @type {any} */ err) => {
    // As MQTT.js: only errors with a code (those of sockets) are reported.
    if ((current() || client._nextStream === s) && err && err.code) client.emit('error', err)
    ended()
  })
}

const ENDED = Symbol('mqtt-napi stream ended')

/**
 * The native driver wants the attempt's Duplex (OPEN_STREAM).
 * @param {any} client the MqttClient @param {any} nat its NativeClient
 */
function openStream (client, nat) {
  let s = client._nextStream
  client._nextStream = null
  endStream(client)
  if (!s) {
    try {
      s = client.streamBuilder(client)
      listen(client, s)
    } catch (err) {
      client.emit('error', err)
      nat.feedEnd()
      return
    }
  }
  client._jsStream = s
  client.stream = s
  if (s[ENDED].ended) nat.feedEnd()
}

/** The native side is done with the current Duplex: end it (what was written goes out first). @param {any} client */
function endStream (client) {
  const s = client._jsStream
  if (!s) return
  client._jsStream = null
  if (typeof s.end === 'function' && !s.writableEnded) s.end()
  if (typeof s.destroy === 'function') setTimeout(() => s.destroy(), 1000).unref()
}

/** Bytes the native encoder wrote, for the current Duplex. @param {any} client @param {Buffer} bytes */
function writeStream (client, bytes) {
  const s = client._jsStream
  if (s && !s.destroyed) s.write(bytes)
}

module.exports = { buildStream, openStream, endStream, writeStream }
