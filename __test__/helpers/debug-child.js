'use strict'

// For debug-log.test.js: connects to 127.0.0.1:PORT, subscribes, publishes QoS 1, gets its
// message back, ends. With `log` as argv[3], the client's `log` option collects the lines
// and they are printed to stdout as JSON at the end.
//   node debug-child.js PORT [log]
const { mqtt } = require('./impl')

const port = Number(process.argv[2])
const lines = []
const opts = { clientId: `debug-${process.pid}`, reconnectPeriod: 0 }
if (process.argv[3] === 'log') opts.log = (...args) => lines.push(require('node:util').format(...args))
const c = mqtt().connect(`mqtt://127.0.0.1:${port}`, opts)
c.on('error', (e) => { console.error('child error', e.message); process.exit(1) })
c.on('connect', () => {
  c.subscribe('debug/t', { qos: 1 }, () => c.publish('debug/t', 'hello', { qos: 1 }))
})
c.on('message', () => c.end(() => { if (opts.log) console.log(JSON.stringify(lines)) }))
