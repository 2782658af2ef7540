'use strict'

// One measurement in a fresh process: `node bench/worker.js '<json>'` prints one JSON line
// { seconds, cpu, rss }: wall time, the main thread's CPU seconds (Linux /proc), peak RSS.
// impl: 'ours' (this package), 'ours-io' / 'ours-js' (the same, reading plain TCP always
// on the I/O thread / the JS thread), 'mqtt' (MQTT.js), 'floor' (plain JS, no socket) or
// 'socket' (a plain socket reading without parsing: the transport's ceiling).

const fs = require('node:fs')
const path = require('node:path')

const args = JSON.parse(process.argv[2])

/** CPU seconds of the calling thread (the main thread here): utime + stime from /proc. */
function mainThreadCpu () {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1e6
  }
}

function finish (t0, cpu0, extra = {}) {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = mainThreadCpu() - cpu0
  const rss = process.resourceUsage().maxRSS * 1024
  process.stdout.write(`${JSON.stringify({ seconds, cpu, rss, ...extra })}\n`, () => process.exit(0))
}

// 'ours-io', 'ours-js': which thread reads plain TCP (src/binding/poll.rs), for A/B runs.
if (args.impl === 'ours-io') process.env.MQTT_NAPI_READ_THREAD = 'io'
if (args.impl === 'ours-js') process.env.MQTT_NAPI_READ_THREAD = 'js'

function lib () {
  return args.impl === 'mqtt' ? require('mqtt') : require(path.join(__dirname, '..'))
}

// The transport: plain TCP, or TLS / WebSocket / both against the fake broker (args.ca: the
// PEM file of the CA that signed its certificate).
const SCHEMES = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' }
const url = () => {
  const t = args.transport || 'tcp'
  const host = t === 'tls' || t === 'wss' ? 'localhost' : '127.0.0.1'
  return `${SCHEMES[t]}://${host}:${args.port}${t.startsWith('ws') ? '/mqtt' : ''}`
}
const transportOptions = () => (args.ca ? { ca: require('node:fs').readFileSync(args.ca) } : {})

/** Receive `n` messages that the fake broker writes as fast as it can. */
function receive () {
  const { n, size, qos } = args
  const c = lib().connect(url(), { ...transportOptions(), reconnectPeriod: 0 })
  c.on('error', (e) => { console.error(e); process.exit(1) })
  c.on('connect', () => {
    let got = 0
    let t0
    let cpu0
    c.on('message', () => {
      if (++got === n) finish(t0, cpu0)
    })
    t0 = process.hrtime.bigint()
    cpu0 = mainThreadCpu()
    c.subscribe(`bench/recv/${n}/${size}/${qos}`, { qos })
  })
}

/**
 * The plain-JS floor of receiving: per message, the topic string, the payload slice, the
 * packet object and the 'message' emit, over packets already in memory (no socket, no
 * parsing: their layout is known). What any JS client must at least spend.
 */
function floor () {
  const { EventEmitter } = require('node:events')
  const { n, size, qos } = args
  const topic = 'bench/t'
  const one = require('../packet.js').generate({ cmd: 'publish', topic, payload: Buffer.alloc(size), qos, messageId: qos ? 1 : undefined })
  const len = one.length
  const topicAt = len - size - (qos ? 2 : 0) - topic.length
  const per = Math.max(1, Math.floor(65536 / len))
  const buf = Buffer.alloc(per * len, 0x5a)
  for (let i = 0; i < per; i++) one.copy(buf, i * len)
  const e = new EventEmitter()
  let got = 0
  e.on('message', (_t, _payload, packet) => { if (packet.qos === qos) got++ })
  const t0 = process.hrtime.bigint()
  const cpu0 = mainThreadCpu()
  let left = n
  while (left > 0) {
    const m = Math.min(left, per)
    for (let i = 0; i < m; i++) {
      const at = i * len
      const t = buf.toString('utf8', at + topicAt, at + topicAt + topic.length)
      const start = at + len - size
      const payload = buf.subarray(start, start + size)
      const packet = { cmd: 'publish', retain: false, qos, dup: false, length: len - 2, topic: t, payload, messageId: qos ? i + 1 : undefined }
      e.emit('message', t, payload, packet)
    }
    left -= m
  }
  if (got !== n) throw new Error('floor lost messages')
  finish(t0, cpu0)
}

/**
 * The transport's ceiling for receiving: a plain net.Socket subscribes (CONNECT and
 * SUBSCRIBE made by our generator) and counts bytes until `n` payloads' worth arrived, with
 * no parsing at all. No MQTT client on this machine can receive faster from this source.
 */
function socket () {
  const net = require('node:net')
  const { generate } = require('../packet.js')
  const { n, size, qos } = args
  const want = n * size
  let got = 0
  let t0
  let cpu0
  const s = net.connect(args.port, '127.0.0.1', () => {
    s.write(generate({ cmd: 'connect', clientId: `socket-${process.pid}`, protocolVersion: 4, keepalive: 60, clean: true }))
    s.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `bench/recv/${n}/${size}/${qos}`, qos }] }))
  })
  s.on('data', (d) => {
    if (!t0) { t0 = process.hrtime.bigint(); cpu0 = mainThreadCpu() }
    got += d.length
    if (got >= want) finish(t0, cpu0)
  })
}

/**
 * Publish `n` messages into the sink: QoS 0 until the sink has read them all (it answers
 * on bench/done), QoS 1/2 until every callback fired. A callback on every `cbEvery`th
 * message (and the last); at most 20,000 published whose callback has not fired (QoS 0
 * callbacks fire once written), and the event loop gets a turn every 1,000.
 */
function publish () {
  const { n, size, qos, cbEvery } = args
  const payload = Buffer.alloc(size, 0x5a)
  const c = lib().connect(url(), { ...transportOptions(), reconnectPeriod: 0, clientId: `sink-${n}` })
  c.on('error', (e) => { console.error(e); process.exit(1) })
  c.on('connect', () => {
    const t0 = process.hrtime.bigint()
    const cpu0 = mainThreadCpu()
    let sent = 0
    let done = 0
    let finished = false
    const end = () => { if (!finished) { finished = true; finish(t0, cpu0) } }
    c.on('message', (topic) => { if (topic === 'bench/done' && qos === 0) end() })
    const onDone = (i) => {
      const resume = sent - done >= 20000
      done = i + 1
      if (qos > 0 && done === n) return end()
      if (resume) pump()
    }
    const pump = () => {
      while (sent < n && sent - done < 20000) {
        const i = sent++
        const cb = ((i + 1) % cbEvery === 0 || i === n - 1) ? () => onDone(i) : undefined
        c.publish('bench/p', payload, { qos }, cb)
        if (sent % 1000 === 0) { setImmediate(pump); return }
      }
    }
    pump()
  })
}

/**
 * End to end through Mosquitto, subscriber side: subscribes, prints READY, then times from
 * the first message to the n-th.
 */
function e2eSub () {
  const { n, qos } = args
  const c = lib().connect(url(), { ...transportOptions(), reconnectPeriod: 0 })
  c.on('error', (e) => { console.error(e); process.exit(1) })
  let got = 0
  let t0
  let cpu0
  c.on('message', () => {
    if (got++ === 0) { t0 = process.hrtime.bigint(); cpu0 = mainThreadCpu() }
    if (got === n) finish(t0, cpu0)
  })
  c.subscribe('bench/e2e', { qos }, () => process.stdout.write('READY\n'))
}

/** End to end, publisher side: n messages of 16 B, at most 1,000 unfinished. */
function e2ePub () {
  const { n, qos } = args
  const payload = Buffer.alloc(16, 0x5a)
  const c = lib().connect(url(), { ...transportOptions(), reconnectPeriod: 0 })
  c.on('error', (e) => { console.error(e); process.exit(1) })
  c.on('connect', () => {
    let sent = 0
    let done = 0
    const onDone = (i) => {
      const resume = sent - done >= 1000
      done = i + 1
      if (done === n) return c.end(() => process.exit(0))
      if (resume) pump()
    }
    const pump = () => {
      while (sent < n && sent - done < 1000) {
        const i = sent++
        c.publish('bench/e2e', payload, { qos }, ((i + 1) % 100 === 0 || i === n - 1) ? () => onDone(i) : undefined)
        if (sent % 1000 === 0) { setImmediate(pump); return }
      }
    }
    pump()
  })
}

/** Sequential QoS 1 round trips through Mosquitto: p50 and p99 after a warm-up. */
function latency () {
  const { n, warmup } = args
  const c = lib().connect(url(), { ...transportOptions(), reconnectPeriod: 0 })
  c.on('error', (e) => { console.error(e); process.exit(1) })
  const times = []
  let i = 0
  let t
  const topic = `bench/lat/${process.pid}`
  const next = () => {
    t = process.hrtime.bigint()
    c.publish(topic, 'ping', { qos: 1 })
  }
  c.on('message', () => {
    const dt = Number(process.hrtime.bigint() - t) / 1e3
    if (i++ >= warmup) times.push(dt)
    if (times.length === n) {
      times.sort((a, b) => a - b)
      const p = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))]
      process.stdout.write(`${JSON.stringify({ p50: p(0.5), p99: p(0.99) })}\n`, () => process.exit(0))
      return
    }
    next()
  })
  c.subscribe(topic, { qos: 1 }, next)
}

/** n idle clients connected from one process: time to connect them all, RSS per client. */
function connections () {
  const { n } = args
  const m = lib()
  global.gc?.()
  const rss0 = process.memoryUsage().rss
  const t0 = process.hrtime.bigint()
  const clients = []
  let up = 0
  for (let i = 0; i < n; i++) {
    const c = m.connect(url(), { reconnectPeriod: 0, keepalive: 60 })
    c.on('error', (e) => { console.error(e); process.exit(1) })
    c.once('connect', () => {
      if (++up < n) return
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      setTimeout(() => {
        global.gc?.()
        const perClient = (process.memoryUsage().rss - rss0) / n
        process.stdout.write(`${JSON.stringify({ seconds, perClient })}\n`, () => process.exit(0))
      }, 500)
    })
    clients.push(c)
  }
}

/**
 * Scale: n idle clients (keepalive `keepalive` s) connected from one process. Prints one
 * JSON line per phase: `connected` (time to connect all), `idle` (RSS per client after GC;
 * CPU per client per keepalive interval, the main thread's and the whole process's, over
 * `intervals` intervals), then waits for the parent to restart the broker and prints
 * `reconnected` (from the first client noticing to the last one connected again).
 */
function scale () {
  const { n, keepalive, intervals } = args
  const m = lib()
  const line = (o) => process.stdout.write(`${JSON.stringify(o)}\n`)
  global.gc?.()
  const { rss: rss0, heapUsed: heap0 } = process.memoryUsage()
  // The C heap (glibc's count), for this package: what the native side holds per client.
  const cHeap = args.impl === 'mqtt' ? () => 0 : require(path.join(__dirname, '..', 'binding.js')).nativeHeapBytes
  const c0 = cHeap()
  const t0 = process.hrtime.bigint()
  const clients = []
  let up = 0
  let phase = 'connecting'
  let downAt = 0n
  let back = 0
  const onConnect = () => {
    if (phase === 'connecting') {
      if (++up === n) connected()
    } else if (phase === 'restart' && ++back === n) {
      line({ phase: 'reconnected', seconds: Number(process.hrtime.bigint() - downAt) / 1e9, failed })
      process.exit(0)
    }
  }
  const onClose = () => { if (phase === 'restart' && downAt === 0n) downAt = process.hrtime.bigint() }
  // Connection attempts that failed while the broker restarted (each one waits another period).
  let failed = 0
  const onError = () => { if (phase === 'restart') failed++ }
  for (let i = 0; i < n; i++) {
    const extra = { ...(args.nativeKeepalive ? { nativeKeepalive: true } : {}), ...(args.reconnectJitter ? { reconnectJitter: args.reconnectJitter } : {}) }
    const c = m.connect(url(), { reconnectPeriod: 1000, keepalive, ...extra })
    c.on('error', onError)
    c.on('connect', onConnect)
    c.on('close', onClose)
    clients.push(c)
  }
  /** A full collection, and another once V8's background threads have freed what the first
   * found dead (array buffers' memory is released off the main thread, after the collection
   * returns: measured at once, the last keepalive round's garbage counted as held, ~2 KiB per
   * client at 15,000). */
  async function collect () {
    global.gc?.()
    await new Promise((resolve) => setTimeout(resolve, 500))
    global.gc?.()
  }
  function connected () {
    line({ phase: 'connected', seconds: Number(process.hrtime.bigint() - t0) / 1e9 })
    phase = 'settling'
    setTimeout(async () => {
      await collect()
      const mem = process.memoryUsage()
      const perClient = (mem.rss - rss0) / n
      const main0 = mainThreadCpu()
      const all0 = process.cpuUsage()
      const ms = keepalive * intervals * 1000
      setTimeout(async () => {
        const main = mainThreadCpu() - main0
        const u = process.cpuUsage(all0)
        const all = (u.user + u.system) / 1e6
        const per = (x) => (x / n / intervals) * 1e6 // microseconds per client per interval
        // RSS again at the end of the idle window: by then V8 has usually shrunk the young
        // generation the connect burst grew (a fixed cost, not a per-client one).
        await collect()
        const idleRss = (process.memoryUsage().rss - rss0) / n
        line({ phase: 'idle', perClient, idleRss, heapPerClient: (mem.heapUsed - heap0) / n, cHeapPerClient: (cHeap() - c0) / n, mainUs: per(main), totalUs: per(all), systemUs: per(u.system / 1e6) })
        phase = 'restart'
        line({ phase: 'restart' })
      }, ms)
    }, 1000)
  }
}

const scenarios = { receive, publish, e2eSub, e2ePub, latency, connections, scale }
if (args.impl === 'floor') floor()
else if (args.impl === 'socket') socket()
else scenarios[args.scenario]()
