'use strict'

// Builds and starts the benchmarks' fake broker (bench/broker.rs) on a loopback port;
// `extra` are its transport arguments (`tls CERT KEY`, `ws`).

const { spawn, spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..', '..')

function startFakeBroker (extra = []) {
  const b = spawnSync('cargo', ['build', '--quiet', '--profile', 'fast', '--example', 'bench_broker'], { cwd: root, stdio: 'inherit' })
  if (b.status !== 0) throw new Error('cannot build the bench broker')
  const proc = spawn(path.join(root, 'target', 'fast', 'examples', 'bench_broker'), ['0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stdout.on('data', (d) => {
      out += d
      const m = /PORT (\d+)/.exec(out)
      if (m) resolve({ port: Number(m[1]), stop: () => proc.kill() })
    })
    proc.once('exit', (code) => reject(new Error(`bench broker exited (${code})`)))
  })
}

module.exports = { startFakeBroker }
