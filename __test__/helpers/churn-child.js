'use strict'

// Run in a child process by soundness.test.js (the read mode comes from the environment,
// MQTT_NAPI_READ_THREAD, which the addon reads once):
//   node churn-child.js reconnects PORT N  -> {"connects": n, "longestGapMs": ms}
//   node --expose-gc churn-child.js clients PORT N -> {"rssBefore": bytes, "rssAfter": bytes}
//   node churn-child.js churn PORT SECONDS -> [{"connects": n, "longestGapMs": ms}, ...]
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
  // The C allocator's bytes in use (glibc), read through this package's addon also when the
  // clients are MQTT.js's: native memory alone. RSS also holds V8's heap reservation, which
  // Node 26 keeps growing across GCs while the used heap stays flat (measured: 3.5 KB of
  // heapTotal per client here, 1.2 KB with MQTT.js).
  let heapBytes = () => -1
  try {
    heapBytes = require('../../binding.js').nativeHeapBytes
  } catch {}
  // Since Node 22, Node-API finalizers run after the GC, from the event loop: let them.
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      global.gc()
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return { rss: process.memoryUsage().rss, malloc: heapBytes() }
  }
  const one = () => new Promise((resolve) => {
    const c = lib.connect({ host: '127.0.0.1', port, reconnectPeriod: 0 })
    c.once('connect', () => c.end(resolve))
  })
  const warm = 2000
  for (let i = 0; i < warm; i++) await one()
  const before = await settle()
  for (let i = 0; i < n; i++) await one()
  const after = await settle()
  process.stdout.write(`${JSON.stringify({ rssBefore: before.rss, rssAfter: after.rss, mallocBefore: before.malloc, mallocAfter: after.malloc })}\n`)
}

// `churn`: 5 clients against a peer that writes CONNACK as it accepts and resets the
// connection soon after; for N seconds, each client's longest time between two of its events.
function churn () {
  const stats = []
  for (let i = 0; i < 5; i++) {
    const s = { connects: 0, last: Date.now(), longest: 0 }
    const mark = () => {
      const now = Date.now()
      s.longest = Math.max(s.longest, now - s.last)
      s.last = now
    }
    s.client = lib.connect({ host: '127.0.0.1', port, reconnectPeriod: 10, keepalive: 60 })
    s.client.on('connect', () => { s.connects++; mark() })
    s.client.on('close', mark)
    s.client.on('error', mark)
    stats.push(s)
  }
  setTimeout(() => {
    const now = Date.now()
    const out = stats.map((s) => ({ connects: s.connects, longestGapMs: Math.max(s.longest, now - s.last) }))
    for (const s of stats) s.client.end(true)
    process.stdout.write(`${JSON.stringify(out)}\n`)
  }, n * 1000)
}

if (mode === 'reconnects') reconnects()
else if (mode === 'churn') churn()
else clients()
