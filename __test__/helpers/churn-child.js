'use strict'

// Run in a child process by soundness.test.js (the read mode comes from the environment,
// MQTT_NAPI_READ_THREAD, which the addon reads once):
//   node churn-child.js reconnects PORT N  -> {"connects": n, "longestGapMs": ms}
//   node --expose-gc churn-child.js clients PORT N -> {"rssBefore": bytes, "rssAfter": bytes}
// `reconnects`: one client whose peer drops every connection right after CONNACK; counts
// the reconnects and the longest wait between two. `clients`: 2,000 clients to warm up (V8
// and the allocator settle first), then N more, made and ended one after another; RSS after
// GC after the warm-up, and after all of them.

const { mqtt } = require('./impl')

const [mode, portArg, nArg] = process.argv.slice(2)
const port = Number(portArg)
const n = Number(nArg)
const lib = mqtt()

function reconnects () {
  const c = lib.connect({ host: '127.0.0.1', port, reconnectPeriod: 10, keepalive: 60 })
  let connects = 0
  let last = Date.now()
  let longest = 0
  const started = Date.now()
  c.on('connect', () => {
    connects++
    const now = Date.now()
    longest = Math.max(longest, now - last)
    last = now
  })
  const timer = setInterval(() => {
    const now = Date.now()
    // A stalled client shows as a long time since its last connect.
    if (connects >= n || now - started > 60_000) {
      clearInterval(timer)
      longest = Math.max(longest, connects >= n ? 0 : now - last)
      c.end(true)
      process.stdout.write(`${JSON.stringify({ connects, longestGapMs: longest })}\n`)
    }
  }, 20)
}

async function clients () {
  const rss = () => { global.gc(); return process.memoryUsage().rss }
  const one = () => new Promise((resolve) => {
    const c = lib.connect({ host: '127.0.0.1', port, reconnectPeriod: 0 })
    c.once('connect', () => c.end(resolve))
  })
  const warm = 2000
  for (let i = 0; i < warm; i++) await one()
  const rssBefore = rss()
  for (let i = 0; i < n; i++) await one()
  await new Promise((resolve) => setTimeout(resolve, 100))
  process.stdout.write(`${JSON.stringify({ rssBefore, rssAfter: rss() })}\n`)
}

if (mode === 'reconnects') reconnects()
else clients()
