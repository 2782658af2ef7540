'use strict'

// TLS and WebSocket rows: receive and publish (QoS 0, 16 B) against the fake broker
// (bench/broker.rs) serving TLS, WebSocket, and WebSocket over TLS, with a certificate made
// here by openssl. mqtt-napi (rustls, tokio-tungstenite) and MQTT.js (Node's TLS, ws)
// alternate A B A B, each run in a fresh process (bench/worker.js).

const { report } = require('./lib/stats')
const { startFakeBroker } = require('./lib/fake-broker')
const { runWorker } = require('./lib/workers')
const { makeCerts } = require('../__test__/helpers/certs')

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3)

async function main () {
  const certs = makeCerts()
  const brokers = {
    tls: await startFakeBroker(['tls', certs.certPath, certs.keyPath]),
    ws: await startFakeBroker(['ws']),
    wss: await startFakeBroker(['tls', certs.certPath, certs.keyPath, 'ws'])
  }
  try {
    const rows = []
    for (const transport of ['tls', 'ws', 'wss']) {
      const base = { transport, port: brokers[transport].port, ca: certs.caPath }
      for (const [scenario, n, extra] of [['receive', 300000, { size: 16, qos: 0 }], ['publish', 200000, { size: 16, qos: 0, cbEvery: 100 }]]) {
        const res = { ours: [], mqtt: [] }
        for (let r = 0; r < ROUNDS; r++) {
          for (const impl of ['ours', 'mqtt']) res[impl].push(n / runWorker({ ...base, ...extra, scenario, n, impl }).seconds)
        }
        rows.push({ name: `${scenario} QoS 0, 16 B over ${transport}`, ours: res.ours, theirs: res.mqtt })
      }
    }
    report(`TLS and WebSocket against the fake broker (messages/s, ${ROUNDS} rounds, fresh process per run)`, rows)
  } finally {
    for (const b of Object.values(brokers)) b.stop()
    certs.remove()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
