// @ts-check
'use strict'

// mqtt.connect([url], [options]) and connectAsync, as MQTT.js's.

const { MqttClient } = require('./client')
const { parseOptions } = require('./options')
const debugLog = require('./debug-log')

/** The error listener of every client connect() makes (one function, not one per client). */
const ignoreError = () => {}

/** @param {any} [brokerUrl] @param {any} [opts] */
function connect (brokerUrl, opts) {
  debugLog.connect('connecting to an MQTT broker...')
  const client = new MqttClient(null, parseOptions(brokerUrl, opts))
  // As MQTT.js: a client made by connect() has an error listener, so a connection error
  // never takes the process down; programs add their own to hear about them.
  client.on('error', ignoreError)
  return client
}

/**
 * Resolves with the client once connected; rejects on the first error (or, with
 * allowRetries false, when the first attempt closes).
 * @param {any} brokerUrl @param {any} [opts] @param {boolean} [allowRetries]
 */
function connectAsync (brokerUrl, opts, allowRetries = true) {
  return new Promise((resolve, reject) => {
    const client = connect(brokerUrl, opts)
    /** @type {Record<string, (...a: any[]) => void>} */
    const listeners = {
      connect: () => { off(); resolve(client) },
      end: () => { off(); resolve(client) },
      error: (err) => { off(); client.end(); reject(err) }
    }
    if (allowRetries === false) listeners.close = () => listeners.error(new Error("Couldn't connect to server"))
    const off = () => { for (const [k, f] of Object.entries(listeners)) client.removeListener(k, f) }
    for (const [k, f] of Object.entries(listeners)) client.on(k, f)
  })
}

module.exports = { connect, connectAsync, parseOptions }
