'use strict'

// Running bench/worker.js: every measurement is a fresh process, so no run warms or dirties
// the next one's heap.

const { spawn, spawnSync } = require('node:child_process')
const path = require('node:path')

const worker = path.join(__dirname, '..', 'worker.js')

/**
 * One measurement: runs the worker with `args` (and runtime `flags`), returns its JSON line.
 * `exec`: the runtime's binary (default this Node).
 */
function runWorker (args, flags = [], exec = process.execPath) {
  const r = spawnSync(exec, [...flags, worker, JSON.stringify(args)], { encoding: 'utf8', timeout: 180000 })
  if (r.status !== 0) throw new Error(`worker ${JSON.stringify(args)} failed: ${r.stderr || r.error}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

/**
 * One end-to-end run through a broker: a subscriber process, then (once it has subscribed)
 * a publisher process. Resolves to the subscriber's result (time from first to last message).
 */
function e2e (impl, port, n, qos, extra = {}) {
  return new Promise((resolve, reject) => {
    const sub = spawn(process.execPath, [worker, JSON.stringify({ impl, scenario: 'e2eSub', port, n, qos, ...extra })], { stdio: ['ignore', 'pipe', 'inherit'] })
    const timer = setTimeout(() => { sub.kill(); reject(new Error(`e2e ${impl} qos ${qos} timed out`)) }, 180000)
    let out = ''
    let pub = null
    sub.stdout.on('data', (d) => {
      out += d
      if (!pub && out.includes('READY')) {
        pub = spawn(process.execPath, [worker, JSON.stringify({ impl, scenario: 'e2ePub', port, n, qos, ...extra })], { stdio: 'inherit' })
      }
    })
    sub.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`e2e subscriber exited ${code}`))
      const line = out.trim().split('\n').pop()
      const done = () => resolve(JSON.parse(line))
      if (pub && pub.exitCode === null) pub.once('exit', done)
      else done()
    })
  })
}

/** CPU seconds (user + system) process `pid` has used so far (Linux /proc). */
function processCpu (pid) {
  const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

module.exports = { runWorker, e2e, processCpu }
