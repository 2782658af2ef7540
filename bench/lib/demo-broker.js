'use strict'

// Starts the demo broker (examples/broker.js, this package's server API) in its own process
// on a loopback port: plain TCP, or with `webSocket` MQTT over WebSocket on /mqtt.

const { spawn } = require('node:child_process')
const path = require('node:path')

function startDemoBroker (webSocket = false) {
  const script = path.join(__dirname, '..', '..', 'examples', 'broker.js')
  const proc = spawn(process.execPath, [script, '0', '127.0.0.1', ...(webSocket ? ['ws'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d) => {
      out += d
      const m = /listening on \S*?127\.0\.0\.1:(\d+)/.exec(out)
      if (m) {
        proc.stdout.off('data', onData)
        proc.stdout.resume()
        resolve({ port: Number(m[1]), stop: () => proc.kill() })
      }
    }
    proc.stdout.on('data', onData)
    proc.once('exit', (code) => reject(new Error(`demo broker exited (${code})`)))
  })
}

module.exports = { startDemoBroker }
