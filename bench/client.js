'use strict'

// Client benchmarks against the fast fake broker (bench/broker.rs): receive and publish,
// mqtt-napi and MQTT.js alternating A B A B, each run in a fresh process (bench/worker.js).
// Prints rates (messages/s) with ours / MQTT.js ratios, the main thread's CPU per received
// message, peak RSS, and the plain-JS floor of receiving.

const { median, report, fmtRate } = require('./lib/stats')
const { startFakeBroker } = require('./lib/fake-broker')
const { runWorker } = require('./lib/workers')

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3)

/** Runs `impls` alternately for ROUNDS rounds; returns name -> list of results. */
function alternateRuns (impls, base) {
  const out = Object.fromEntries(impls.map((i) => [i, []]))
  for (let r = 0; r < ROUNDS; r++) {
    for (const impl of impls) out[impl].push(runWorker({ ...base, impl }))
  }
  return out
}

const fmtBytes = (b) => `${(b / 1048576).toFixed(0)} MiB`
const fmtUs = (s) => `${(s * 1e6).toFixed(2)} us`

async function main () {
  const broker = await startFakeBroker()
  try {
    const rate = (n) => (x) => n / x.seconds
    const rows = []
    const cpuRows = []
    const floorRows = []
    for (const [size, qos, n] of [[16, 0, 500000], [1024, 0, 200000], [65536, 0, 5000], [16, 1, 200000]]) {
      const base = { scenario: 'receive', port: broker.port, n, size, qos }
      // The floor (plain JS, no socket) bounds small messages; the socket ceiling (a plain
      // socket, no parsing) bounds large ones.
      const impls = qos === 0 && size === 16 ? ['ours', 'mqtt', 'floor'] : size === 65536 ? ['ours', 'mqtt', 'socket'] : ['ours', 'mqtt']
      const res = alternateRuns(impls, base)
      const name = `receive QoS ${qos}, ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}`
      rows.push({ name, ours: res.ours.map(rate(n)), theirs: res.mqtt.map(rate(n)) })
      const cpu = (xs) => median(xs.map((x) => x.cpu / n))
      const rss = (xs) => median(xs.map((x) => x.rss))
      cpuRows.push(`| ${name} | ${fmtUs(cpu(res.ours))} | ${fmtUs(cpu(res.mqtt))} | ${(cpu(res.ours) / cpu(res.mqtt)).toFixed(2)}x | ${fmtBytes(rss(res.ours))} | ${fmtBytes(rss(res.mqtt))} |`)
      if (res.socket) {
        const c = median(res.socket.map(rate(n)))
        const pct = (xs) => (100 * median(xs.map(rate(n))) / c).toFixed(0)
        floorRows.push(`transport ceiling (${name}): a plain socket reading without parsing gets ${fmtRate(c)}; mqtt-napi reaches ${pct(res.ours)}% of it, MQTT.js ${pct(res.mqtt)}%`)
      }
      if (res.floor) {
        const f = median(res.floor.map(rate(n)))
        const o = median(res.ours.map(rate(n)))
        floorRows.push(`plain-JS floor (${name}): ${fmtRate(f)}; mqtt-napi reaches ${(100 * o / f).toFixed(0)}% of it`)
      }
    }
    report(`receive from the fake broker (messages/s, ${ROUNDS} rounds, fresh process per run)`, rows)
    console.log('\n| receive scenario | main-thread CPU per message, mqtt-napi | MQTT.js | ratio | peak RSS mqtt-napi | MQTT.js |')
    console.log('|---|---|---|---|---|---|')
    for (const r of cpuRows) console.log(r)
    for (const f of floorRows) console.log(`\n${f}`)

    const pub = []
    for (const [size, qos, n] of [[16, 0, 300000], [16, 1, 200000], [16, 2, 100000], [1024, 0, 200000], [1024, 1, 100000], [1024, 2, 50000]]) {
      for (const cbEvery of [1, 100]) {
        // MQTT.js queues a 'drain' listener per QoS 0 callback while the socket is full
        // (quadratic): fewer messages keep that row's run time sane.
        const count = qos === 0 && cbEvery === 1 ? n / 5 : n
        const res = alternateRuns(['ours', 'mqtt'], { scenario: 'publish', port: broker.port, n: count, size, qos, cbEvery })
        const name = `publish QoS ${qos}, ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}, callback on ${cbEvery === 1 ? 'each' : 'every 100th'}`
        pub.push({ name, ours: res.ours.map(rate(count)), theirs: res.mqtt.map(rate(count)) })
      }
    }
    report(`publish into the fake broker (messages/s, ${ROUNDS} rounds; at most 20,000 unfinished)`, pub)
  } finally {
    broker.stop()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
