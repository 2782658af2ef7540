'use strict'

// This package against MQTT.js on each runtime: Node (this one), Bun and Deno (from the npm
// registry, as scripts/test-runtimes.sh installs them), receiving from and publishing into
// the fake broker (bench/broker.rs). Runs alternate ours / MQTT.js, each a fresh process of
// the runtime (bench/worker.js); the ratio is taken within a runtime, never across.
//   node bench/runtimes.js            (BENCH_RUNTIMES=node,bun,deno BENCH_ROUNDS=3)

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { median, fmtRate } = require('./lib/stats')
const { startFakeBroker } = require('./lib/fake-broker')
const { runWorker } = require('./lib/workers')

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3)
const CACHE = process.env.MQTT_NAPI_TOOLS_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mqtt-napi')

/** name -> { exec, flags, version } for the runtimes asked for, installing Bun/Deno once. */
function runtimes () {
  const want = (process.env.BENCH_RUNTIMES || 'node,bun,deno').split(',')
  const install = (dir, pkg) => {
    if (fs.existsSync(path.join(dir, 'node_modules', pkg))) return
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', pkg], { stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`cannot install ${pkg}`)
  }
  const all = {
    node: () => ({ exec: process.execPath, flags: [] }),
    bun: () => {
      install(path.join(CACHE, 'bun'), 'bun')
      return { exec: path.join(CACHE, 'bun', 'node_modules', 'bun', 'bin', 'bun.exe'), flags: [] }
    },
    deno: () => {
      install(path.join(CACHE, 'deno'), '@deno/linux-x64-glibc')
      return { exec: path.join(CACHE, 'deno', 'node_modules', '@deno', 'linux-x64-glibc', 'deno'), flags: ['run', '-A', '--node-modules-dir=manual'] }
    }
  }
  return Object.fromEntries(want.map((name) => {
    const rt = all[name]()
    const v = spawnSync(rt.exec, ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]
    return [name, { ...rt, version: name === 'node' ? process.version : v }]
  }))
}

const SCENARIOS = [
  ['receive QoS 0, 16 B', { scenario: 'receive', n: 300000, size: 16, qos: 0 }],
  ['receive QoS 1, 16 B', { scenario: 'receive', n: 100000, size: 16, qos: 1 }],
  ['publish QoS 0, 16 B, callback on every 100th', { scenario: 'publish', n: 200000, size: 16, qos: 0, cbEvery: 100 }],
  ['publish QoS 1, 16 B, callback on each', { scenario: 'publish', n: 100000, size: 16, qos: 1, cbEvery: 1 }],
  ['publish QoS 2, 16 B, callback on each', { scenario: 'publish', n: 50000, size: 16, qos: 2, cbEvery: 1 }]
]

async function main () {
  const rts = runtimes()
  const broker = await startFakeBroker()
  try {
    const cols = Object.keys(rts)
    console.log(`\nmqtt-napi / MQTT.js on each runtime (messages/s, median of ${ROUNDS} rounds, fresh process per run)`)
    console.log(`| scenario | ${cols.map((c) => `${c} (${rts[c].version}): mqtt-napi | MQTT.js | ratio`).join(' | ')} |`)
    console.log(`|---|${cols.map(() => '---|---|---').join('|')}|`)
    for (const [name, base] of SCENARIOS) {
      const cells = []
      for (const c of cols) {
        const { exec, flags } = rts[c]
        const res = { ours: [], mqtt: [] }
        for (let r = 0; r < ROUNDS; r++) {
          for (const impl of ['ours', 'mqtt']) res[impl].push(base.n / runWorker({ ...base, impl, port: broker.port }, flags, exec).seconds)
        }
        const o = median(res.ours)
        const m = median(res.mqtt)
        cells.push(`${fmtRate(o)} | ${fmtRate(m)} | ${(o / m).toFixed(2)}x`)
      }
      console.log(`| ${name} | ${cells.join(' | ')} |`)
    }
  } finally {
    broker.stop()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
