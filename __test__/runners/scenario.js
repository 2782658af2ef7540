'use strict'

// What a user's test does with a client, for the test-runner checks (open-handles.test.js):
// connect, subscribe, publish QoS 1 and 2, receive, and end one of three ways. RUNNER_PORT
// is the broker's port; RUNNER_LEFT_OPEN=1 runs only a test that never ends its client (the
// control: the runner must see it).
const { mqtt } = require('../helpers/impl')

const port = Number(process.env.RUNNER_PORT)

async function open () {
  const c = mqtt().connect({ host: '127.0.0.1', port, reconnectPeriod: 0 })
  await new Promise((resolve, reject) => {
    c.once('connect', resolve)
    c.once('error', reject)
  })
  await c.subscribeAsync('runners/#', { qos: 1 })
  const got = new Promise((resolve) => c.once('message', resolve))
  await c.publishAsync('runners/a', 'one', { qos: 1 })
  await c.publishAsync('runners/b', 'two', { qos: 2 })
  await got
  return c
}

const endings = {
  'end with endAsync()': async () => {
    const c = await open()
    await c.endAsync()
  },
  'end with end(cb)': async () => {
    const c = await open()
    await new Promise((resolve) => c.end(resolve))
  },
  'end with end(true, cb)': async () => {
    const c = await open()
    await new Promise((resolve) => c.end(true, resolve))
  }
}

const leftOpen = {
  'a client never ended': async () => {
    await open()
  }
}

module.exports = process.env.RUNNER_LEFT_OPEN === '1' ? leftOpen : endings
