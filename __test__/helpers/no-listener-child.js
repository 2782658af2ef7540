'use strict'

// Run as a child process by fidelity.test.js: one connection-level failure, with no
// 'error' listener on the client. Prints "alive" and exits 0 if the process survived it.
// argv: scenario, port

const impl = require('./impl')

const mqtt = impl.mqtt()
const [scenario, port] = process.argv.slice(2)
const opts = { reconnectPeriod: 200, connectTimeout: 400, keepalive: 1 }
const url = scenario === 'dns' ? 'mqtt://no-such-host.invalid:1883' : `mqtt://127.0.0.1:${port}`
const client = mqtt.connect(url, opts)
const events = new Set()
for (const e of ['connect', 'close', 'offline', 'reconnect']) client.on(e, () => events.add(e))
setTimeout(() => {
  client.end(true)
  console.log(`alive ${[...events].sort().join(',')}`)
}, 3500)
