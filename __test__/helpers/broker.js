'use strict'

// Starts a real Mosquitto (Debian's package) on a free loopback port for a test file, and
// stops it afterwards. Tests never touch any address but 127.0.0.1.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function mosquittoPath () {
  for (const p of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (fs.existsSync(p)) return p
  }
  return 'mosquitto'
}

async function waitForPort (port, ms) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.on('connect', () => { s.destroy(); resolve(true) })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`mosquitto did not listen on ${port} within ${ms} ms`)
}

/**
 * Starts Mosquitto; returns { port, url, pid, stop() }. `extra` lines go into its config;
 * `port` restarts one where a stopped one was.
 */
async function startBroker (extra = [], port = undefined) {
  port = port ?? await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-broker-'))
  const conf = path.join(dir, 'mosquitto.conf')
  fs.writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none', ...extra].join('\n') + '\n')
  const proc = spawn(mosquittoPath(), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d) => { stderr += d })
  const exited = new Promise((resolve) => proc.on('exit', resolve))
  try {
    await Promise.race([waitForPort(port, 5000), exited.then((code) => { throw new Error(`mosquitto exited (${code}): ${stderr}`) })])
  } catch (e) {
    proc.kill('SIGKILL')
    throw e
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    pid: proc.pid,
    async stop () {
      proc.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))])
      if (proc.exitCode === null) proc.kill('SIGKILL')
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

module.exports = { startBroker, freePort }
