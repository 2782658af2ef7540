'use strict'

// Waiting in tests, always bounded: an event, a pause, a promise with a deadline; and the
// check the transport suites share (a QoS 1 publish survives a dropped connection).

const assert = require('node:assert')

const once = (emitter, event) => new Promise((resolve) => emitter.once(event, (...args) => resolve(args)))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const withTimeout = (p, ms, what) => {
  let timer
  const late = new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms) })
  // The timer goes with the race: a pending one would keep the test process alive after it.
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/**
 * `c` publishes at QoS 1 and its connection drops at once: the PUBACK comes after the
 * reconnect (the PUBLISH was resent) and `watcher` gets the message. Ends both clients.
 */
async function resendsAfterDrop (c, watcher, topic) {
  try {
    await withTimeout(Promise.all([once(c, 'connect'), once(watcher, 'connect')]), 8000, 'connect')
    await withTimeout(watcher.subscribeAsync(topic, { qos: 1 }), 5000, 'subscribe')
    const got = once(watcher, 'message')
    const acked = c.publishAsync(topic, 'again', { qos: 1 })
    c.stream.destroy()
    await withTimeout(acked, 8000, 'PUBACK after the reconnect')
    const [t, payload] = await withTimeout(got, 5000, 'message')
    assert.deepStrictEqual([t, payload.toString()], [topic, 'again'])
  } finally {
    await Promise.all([c.endAsync(), watcher.endAsync()])
  }
}

module.exports = { once, sleep, withTimeout, resendsAfterDrop }
