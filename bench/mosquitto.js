'use strict'

// Benchmarks through a real Mosquitto on loopback: end to end (a publisher process and a
// subscriber process; over WebSocket through the demo broker), QoS 1 round-trip latency,
// and 1,000 idle connections. mqtt-napi and
// MQTT.js alternate A B A B; every run is a fresh process (bench/worker.js).

const { startBroker } = require('../__test__/helpers/broker')
const { makeCerts } = require('../__test__/helpers/certs')
const { median, report } = require('./lib/stats')
const { runWorker, e2e, processCpu } = require('./lib/workers')
const { startDemoBroker } = require('./lib/demo-broker')

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3)
const IMPLS = ['ours', 'mqtt']

/** One end-to-end row: `n` messages at `qos` through the broker on `port`, ROUNDS rounds. */
async function e2eRow (name, port, n, qos, extra) {
  const res = Object.fromEntries(IMPLS.map((i) => [i, []]))
  for (let r = 0; r < ROUNDS; r++) {
    for (const impl of IMPLS) res[impl].push(n / (await e2e(impl, port, n, qos, extra)).seconds)
  }
  return { name, ours: res.ours, theirs: res.mqtt }
}

async function main () {
  // No limit on queued QoS 1/2 messages per client (a slow subscriber must not lose any),
  // nor on messages in flight (Mosquitto refuses a 21st unacknowledged QoS 2 PUBLISH from a
  // 3.1.1 client by default, and closes the connection). TCP_NODELAY on its sockets, else
  // Nagle and delayed ACKs put 40 ms into every round trip.
  const broker = await startBroker(['max_queued_messages 0', 'max_inflight_messages 0', 'set_tcp_nodelay true'])
  try {
    const rows = []
    // Mosquitto's own CPU per message and how busy it was: what bounds these rows.
    const busy = []
    for (const [qos, n] of [[0, 100000], [1, 50000], [2, 20000]]) {
      const res = Object.fromEntries(IMPLS.map((i) => [i, []]))
      const cpu = Object.fromEntries(IMPLS.map((i) => [i, []]))
      const load = Object.fromEntries(IMPLS.map((i) => [i, []]))
      for (let r = 0; r < ROUNDS; r++) {
        for (const impl of IMPLS) {
          const c0 = processCpu(broker.pid)
          const { seconds } = await e2e(impl, broker.port, n, qos)
          const used = processCpu(broker.pid) - c0
          res[impl].push(n / seconds)
          cpu[impl].push((used / n) * 1e6)
          // Idle while the processes start: its CPU falls in the measured stretch.
          load[impl].push(used / seconds)
        }
      }
      rows.push({ name: `end to end QoS ${qos}, 16 B`, ours: res.ours, theirs: res.mqtt })
      busy.push(`| QoS ${qos} | ${median(cpu.ours).toFixed(1)} us | ${median(cpu.mqtt).toFixed(1)} us | ${(100 * median(load.ours)).toFixed(0)}% | ${(100 * median(load.mqtt)).toFixed(0)}% |`)
    }
    // The same over TLS: a second Mosquitto with a TLS listener and a certificate made here.
    const certs = makeCerts()
    const tlsBroker = await startBroker(['max_queued_messages 0', 'max_inflight_messages 0', 'set_tcp_nodelay true', `cafile ${certs.caPath}`, `certfile ${certs.certPath}`, `keyfile ${certs.keyPath}`])
    try {
      rows.push(await e2eRow('end to end QoS 1, 16 B, over TLS', tlsBroker.port, 50000, 1, { transport: 'tls', ca: certs.caPath }))
    } finally {
      await tlsBroker.stop()
      certs.remove()
    }
    // Over WebSocket: Debian's Mosquitto has no WebSocket listener, so through the demo
    // broker (examples/broker.js: JS on this package's server API, its own process), over
    // WebSocket and, for comparison, over plain TCP. That broker is the bottleneck.
    for (const webSocket of [false, true]) {
      const demo = await startDemoBroker(webSocket)
      try {
        rows.push(await e2eRow(`end to end QoS 1, 16 B, demo broker, over ${webSocket ? 'WebSocket' : 'TCP'}`, demo.port, 20000, 1, webSocket ? { transport: 'ws' } : {}))
      } finally {
        demo.stop()
      }
    }
    report(`end to end, publisher process -> subscriber process (messages/s, ${ROUNDS} rounds)`, rows)
    console.log('\n| Mosquitto during end to end | its CPU per message, with mqtt-napi | with MQTT.js | busy (its CPU / the measured time), with mqtt-napi | with MQTT.js |')
    console.log('|---|---|---|---|---|')
    for (const b of busy) console.log(b)

    const lat = Object.fromEntries(IMPLS.map((i) => [i, []]))
    for (let r = 0; r < ROUNDS; r++) {
      for (const impl of IMPLS) lat[impl].push(runWorker({ impl, scenario: 'latency', port: broker.port, n: 10000, warmup: 2000 }))
    }
    console.log(`\nQoS 1 round trip through Mosquitto (publish, receive own message; 10,000 after 2,000 warm-up, ${ROUNDS} rounds)`)
    console.log('| percentile | mqtt-napi | MQTT.js | ratio |')
    console.log('|---|---|---|---|')
    for (const q of ['p50', 'p99']) {
      const a = median(lat.ours.map((x) => x[q]))
      const b = median(lat.mqtt.map((x) => x[q]))
      console.log(`| ${q} | ${a.toFixed(0)} us | ${b.toFixed(0)} us | ${(a / b).toFixed(2)}x |`)
    }

    const conn = Object.fromEntries(IMPLS.map((i) => [i, []]))
    for (let r = 0; r < ROUNDS; r++) {
      for (const impl of IMPLS) conn[impl].push(runWorker({ impl, scenario: 'connections', port: broker.port, n: 1000 }, ['--expose-gc']))
    }
    console.log(`\n1,000 idle clients connected to Mosquitto from one process (${ROUNDS} rounds)`)
    console.log('| measure | mqtt-napi | MQTT.js | ratio |')
    console.log('|---|---|---|---|')
    const s = (impl) => median(conn[impl].map((x) => x.seconds))
    const k = (impl) => median(conn[impl].map((x) => x.perClient))
    console.log(`| time to connect all | ${(s('ours') * 1000).toFixed(0)} ms | ${(s('mqtt') * 1000).toFixed(0)} ms | ${(s('ours') / s('mqtt')).toFixed(2)}x |`)
    console.log(`| RSS per idle client | ${(k('ours') / 1024).toFixed(1)} KiB | ${(k('mqtt') / 1024).toFixed(1)} KiB | ${(k('ours') / k('mqtt')).toFixed(2)}x |`)
  } finally {
    await broker.stop()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
