'use strict'

// A/B of which thread reads plain TCP: the default (the JS thread while the connection is
// quiet, the I/O thread while data streams in: src/driver/app_read.rs), always the JS thread
// (MQTT_NAPI_READ_THREAD=js, worker impl 'ours-js') and always the I/O thread (=io,
// 'ours-io'), with MQTT.js alongside for scale. Fake-broker receive (rate and main-thread CPU per message) and, through
// Mosquitto, end to end and QoS 1 round-trip latency. Not part of `npm run bench`:
// `node bench/read-thread.js` after `npm run build`.

const { startBroker } = require('../__test__/helpers/broker')
const { startFakeBroker } = require('./lib/fake-broker')
const { median, fmtRate } = require('./lib/stats')
const { runWorker, e2e } = require('./lib/workers')

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3)
const IMPLS = ['ours', 'ours-js', 'ours-io', 'mqtt']

function table (title, rows) {
  console.log(`\n${title}`)
  console.log('| scenario | adaptive (default) | JS thread | I/O thread | MQTT.js | adaptive / I/O thread |')
  console.log('|---|---|---|---|---|---|')
  for (const [name, res, fmt] of rows) {
    const m = Object.fromEntries(IMPLS.map((i) => [i, median(res[i])]))
    console.log(`| ${name} | ${fmt(m.ours)} | ${fmt(m['ours-js'])} | ${fmt(m['ours-io'])} | ${fmt(m.mqtt)} | ${(m.ours / m['ours-io']).toFixed(2)}x |`)
  }
}

const empty = () => Object.fromEntries(IMPLS.map((i) => [i, []]))
const us = (x) => `${x.toFixed(2)} us`

async function main () {
  const fake = await startFakeBroker()
  try {
    const rows = []
    for (const [size, qos, n] of [[16, 0, 500000], [1024, 0, 200000], [16, 1, 200000]]) {
      const rate = empty()
      const cpu = empty()
      for (let r = 0; r < ROUNDS; r++) {
        for (const impl of IMPLS) {
          const x = runWorker({ impl, scenario: 'receive', port: fake.port, n, size, qos })
          rate[impl].push(n / x.seconds)
          cpu[impl].push((x.cpu / n) * 1e6)
        }
      }
      const name = `receive QoS ${qos}, ${size} B`
      rows.push([`${name}, messages/s`, rate, fmtRate], [`${name}, main-thread CPU per message`, cpu, us])
    }
    table(`receive from the fake broker (medians of ${ROUNDS} rounds)`, rows)
  } finally {
    fake.stop()
  }

  const broker = await startBroker(['max_queued_messages 0', 'max_inflight_messages 0', 'set_tcp_nodelay true'])
  try {
    const rows = []
    for (const [qos, n] of [[0, 100000], [1, 50000]]) {
      const rate = empty()
      for (let r = 0; r < ROUNDS; r++) {
        for (const impl of IMPLS) rate[impl].push(n / (await e2e(impl, broker.port, n, qos)).seconds)
      }
      rows.push([`end to end QoS ${qos}, 16 B, messages/s`, rate, fmtRate])
    }
    const p50 = empty()
    const p99 = empty()
    for (let r = 0; r < ROUNDS; r++) {
      for (const impl of IMPLS) {
        const x = runWorker({ impl, scenario: 'latency', port: broker.port, n: 10000, warmup: 2000 })
        p50[impl].push(x.p50)
        p99[impl].push(x.p99)
      }
    }
    rows.push(['QoS 1 round trip p50', p50, (x) => `${x.toFixed(0)} us`], ['QoS 1 round trip p99', p99, (x) => `${x.toFixed(0)} us`])
    table(`through Mosquitto (medians of ${ROUNDS} rounds)`, rows)
  } finally {
    await broker.stop()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
