'use strict'

// Thousands of idle clients in one process, against Mosquitto on loopback: for N = 1,000,
// 5,000 and 15,000 (BENCH_SCALE_N to change), mqtt-napi and MQTT.js alternating, each run
// a fresh worker process and a fresh broker: time to connect all (with the broker's CPU
// share meanwhile), RSS and V8 heap per connected idle client after GC (RSS also at the end of
// the idle window, when V8 has shrunk what the connect burst grew), CPU per client per
// keepalive interval (the main thread's and the whole process's, and the kernel's share of
// it: socket writes and reads, epoll, timers), and the time until every
// client noticed a broker restart and connected again (reconnectPeriod 1 s for both), with
// the attempts that failed meanwhile and Mosquitto's CPU.
// The process's and the broker's open-file limit are raised to the hard limit.

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { startBroker } = require('../__test__/helpers/broker')
const { median } = require('./lib/stats')
const { processCpu } = require('./lib/workers')

if (process.env.MQTT_NAPI_SCALE_LIMIT !== 'raised') {
  // The soft limit on open files, raised for this process and so for the broker and workers.
  const r = spawnSync('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', process.execPath, __filename], { stdio: 'inherit', env: { ...process.env, MQTT_NAPI_SCALE_LIMIT: 'raised' } })
  process.exit(r.status ?? 1)
}

const ROUNDS = Number(process.env.BENCH_ROUNDS || 2)
const SIZES = (process.env.BENCH_SCALE_N || '1000,5000,15000').split(',').map(Number)
const KEEPALIVE = 5
const INTERVALS = 2
/** What runs: this package as MQTT.js programs get it, with the nativeKeepalive extension,
 * and with it reading every connection on the I/O thread; MQTT.js. */
const ALL_VARIANTS = [
  { name: 'mqtt-napi', impl: 'ours' },
  { name: '+ nativeKeepalive', impl: 'ours', nativeKeepalive: true },
  { name: '+ reads on the I/O thread', impl: 'ours-io', nativeKeepalive: true },
  { name: '+ reconnectJitter 0.5', impl: 'ours-io', nativeKeepalive: true, reconnectJitter: 0.5 },
  { name: 'MQTT.js', impl: 'mqtt' }
]
/** BENCH_SCALE_VARIANTS=0,2 runs those of this package's only (MQTT.js always runs, last). */
const picked = process.env.BENCH_SCALE_VARIANTS?.split(',').map(Number)
const VARIANTS = picked ? ALL_VARIANTS.filter((v, i) => v.impl === 'mqtt' || picked.includes(i)) : ALL_VARIANTS
const BROKER_CONF = ['max_connections -1', 'set_tcp_nodelay true']
const worker = path.join(__dirname, 'worker.js')

/**
 * Connection requests the kernel dropped because a listen queue was full (Linux's
 * TcpExt ListenOverflows; on loopback here, the broker's): each costs its client a SYN
 * retransmission, 1, 3, 7, 15, 31 s after its first. 0 where /proc is not there.
 */
function listenOverflows () {
  try {
    const [names, values] = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:')).map((l) => l.split(/\s+/))
    return Number(values[names.indexOf('ListenOverflows')]) || 0
  } catch {
    return 0
  }
}

/** One run: a fresh broker, a worker with n clients; restarts the broker when asked. */
async function run ({ impl, nativeKeepalive, reconnectJitter }, n) {
  let broker = await startBroker(BROKER_CONF)
  const port = broker.port
  const cpu0 = processCpu(broker.pid)
  const drops0 = listenOverflows()
  const result = {}
  try {
    await new Promise((resolve, reject) => {
      const w = spawn(process.execPath, ['--expose-gc', worker, JSON.stringify({ impl, nativeKeepalive, reconnectJitter, scenario: 'scale', port, n, keepalive: KEEPALIVE, intervals: INTERVALS })], { stdio: ['ignore', 'pipe', 'inherit'] })
      const timer = setTimeout(() => { w.kill('SIGKILL'); reject(new Error(`scale ${impl} ${n} timed out`)) }, 240000)
      let out = ''
      w.stdout.on('data', async (d) => {
        out += d
        const lines = out.split('\n')
        out = lines.pop()
        for (const l of lines) {
          const o = JSON.parse(l)
          Object.assign(result, { [o.phase]: o })
          if (o.phase === 'connected') {
            result.brokerBusy = (processCpu(broker.pid) - cpu0) / o.seconds
            result.connectDrops = listenOverflows() - drops0
          }
          if (o.phase === 'restart') {
            await broker.stop()
            broker = await startBroker(BROKER_CONF, port)
            result.restartCpu0 = processCpu(broker.pid)
            result.restartDrops0 = listenOverflows()
          }
          if (o.phase === 'reconnected') {
            result.brokerReconnectCpu = processCpu(broker.pid) - result.restartCpu0
            result.restartDrops = listenOverflows() - result.restartDrops0
          }
        }
      })
      w.on('exit', (code) => {
        clearTimeout(timer)
        if (code === 0 && result.reconnected) resolve()
        else reject(new Error(`scale worker ${impl} ${n} exited ${code}`))
      })
    })
  } finally {
    await broker.stop()
  }
  return result
}

async function main () {
  const rows = []
  for (const n of SIZES) {
    const res = VARIANTS.map(() => [])
    for (let r = 0; r < ROUNDS; r++) {
      for (let v = 0; v < VARIANTS.length; v++) res[v].push(await run(VARIANTS[v], n))
    }
    rows.push({ n, res })
  }
  const fmt = {
    ms: (x) => `${(x * 1000).toFixed(0)} ms`,
    kib: (x) => `${(x / 1024).toFixed(1)} KiB`,
    us: (x) => `${x.toFixed(1)} us`,
    pct: (x) => `${(100 * x).toFixed(0)}%`
  }
  const measures = [
    ['time to connect all', (o) => o.connected.seconds, fmt.ms],
    ['Mosquitto busy while they connect', (o) => o.brokerBusy, fmt.pct],
    ['... connection requests its full listen queue dropped', (o) => o.connectDrops, (x) => x.toFixed(0)],
    ['RSS per idle client (after GC)', (o) => o.idle.perClient, fmt.kib],
    [`... the same after ${KEEPALIVE * INTERVALS} s idle`, (o) => o.idle.idleRss, fmt.kib],
    ['V8 heap per idle client', (o) => o.idle.heapPerClient, fmt.kib],
    ['C heap per idle client', (o) => o.idle.cHeapPerClient, fmt.kib],
    [`CPU per client per keepalive (${KEEPALIVE} s), JS thread`, (o) => o.idle.mainUs, fmt.us],
    [`CPU per client per keepalive (${KEEPALIVE} s), whole process`, (o) => o.idle.totalUs, fmt.us],
    ['... of which in the kernel (system time)', (o) => o.idle.systemUs, fmt.us],
    ['broker restart: first close to all reconnected', (o) => o.reconnected.seconds, fmt.ms],
    ['... connection attempts that failed meanwhile', (o) => o.reconnected.failed, (x) => x.toFixed(0)],
    ['... Mosquitto CPU from its restart to all reconnected', (o) => o.brokerReconnectCpu, fmt.ms],
    ['... connection requests its full listen queue dropped', (o) => o.restartDrops, (x) => x.toFixed(0)]
  ]
  const theirs = VARIANTS.length - 1
  for (const { n, res } of rows) {
    console.log(`\n${n.toLocaleString('en')} idle clients from one process against Mosquitto (keepalive ${KEEPALIVE} s, reconnectPeriod 1 s; median of ${ROUNDS} rounds; ratios to MQTT.js)`)
    console.log(`| measure | ${VARIANTS.slice(0, theirs).map((v) => `${v.name} | ratio`).join(' | ')} | MQTT.js |`)
    console.log(`|---|${VARIANTS.slice(0, theirs).map(() => '---|---').join('|')}|---|`)
    for (const [name, f, show] of measures) {
      const b = median(res[theirs].map(f))
      const cells = VARIANTS.slice(0, theirs).map((_, v) => {
        const a = median(res[v].map(f))
        return `${show(a)} | ${b ? `${(a / b).toFixed(2)}x` : '-'}`
      })
      console.log(`| ${name} | ${cells.join(' | ')} | ${show(b)} |`)
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
