'use strict'

// Issue 17's regressions, each in a child process: reconnects from a peer that drops every
// connection all complete promptly, in every read mode (a reconnect once stalled for 30 s
// when a connection was registered between two steps of a drain); clients made and ended
// by the thousand leave native memory flat (each once kept about 1.6 KB).
const test = require('node:test')
const assert = require('node:assert')
const net = require('node:net')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { upstream } = require('./helpers/impl')

const CHILD = path.join(__dirname, 'helpers', 'churn-child.js')

/** A peer that answers CONNECT with CONNACK and, with `drop`, closes the connection at once. */
function startPeer (drop) {
  const sockets = new Set()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.on('data', (d) => {
      if (d[0] === 0x10) {
        s.write(Buffer.from([0x20, 2, 0, 0]))
        if (drop) s.destroy()
      }
      if (d[0] === 0xe0) s.end()
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => new Promise((done) => { for (const s of sockets) s.destroy(); server.close(() => done()) })
  })))
}

function runChild (args, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()))
    })
  })
}

for (const mode of ['default', 'io', 'js']) {
  test(`300 dropped connections all reconnect promptly (read mode: ${mode})`, { skip: upstream && mode !== 'default' && 'read modes are this package\'s' }, async () => {
    const peer = await startPeer(true)
    try {
      const env = mode === 'default' ? {} : { MQTT_NAPI_READ_THREAD: mode }
      const r = await runChild([CHILD, 'reconnects', String(peer.port), '300'], env)
      assert.strictEqual(r.connects >= 300, true, `${r.connects} reconnects in 60 s`)
      // reconnectPeriod is 10 ms; the stall this guards against lasted about 30 s.
      assert.ok(r.longestGapMs < 5000, `a reconnect took ${r.longestGapMs} ms`)
    } finally {
      await peer.close()
    }
  })
}

test('8,000 clients made and ended one after another leave native memory flat (after GC)', async () => {
  const peer = await startPeer(false)
  try {
    const r = await runChild(['--expose-gc', CHILD, 'clients', String(peer.port), '6000'], {})
    const rss = Math.round((r.rssAfter - r.rssBefore) / 6000)
    if (r.mallocBefore >= 0) {
      // Measured: 16 B per client on Node 20, 112 B on Node 26 (MQTT.js: 3 and 75); the
      // leak this guards against kept about 1,200 B each.
      const perClient = Math.round((r.mallocAfter - r.mallocBefore) / 6000)
      assert.ok(perClient < 400, `the C heap grew ${perClient} B per client (RSS ${rss} B)`)
    } else {
      // Without glibc's counters: RSS (about 0 B per client on Node 20; the leak kept 1.6 KB).
      assert.ok(rss < 500, `RSS grew ${rss} B per client`)
    }
  } finally {
    await peer.close()
  }
})
