'use strict'

// Every JS code block of README.md runs as printed (issue 30): each is written to a file and
// run with `require('mqtt')` resolving to this package, against Mosquitto (plain, TLS with a
// client certificate, WebSocket), with only host names and ports substituted; the files it
// reads (ca.pem, device.crt, device.key) are made here. Blocks run by other test files are
// named, so that a new block cannot go untested. With MQTT_IMPL=mqtt the client examples run
// on MQTT.js: the same program works on both.
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { upstream } = require('./helpers/impl')
const { startBroker, freePort } = require('./helpers/broker')
const { makeCerts } = require('./helpers/certs')

const ROOT = path.join(__dirname, '..')

/** The ```js blocks of a Markdown file, with the `## ` section each is in. */
function blocks (file) {
  const out = []
  let section = ''
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('## ')) section = lines[i].slice(3)
    if (lines[i] === '```js') {
      const end = lines.indexOf('```', i + 1)
      out.push({ section, code: lines.slice(i + 1, end).join('\n') })
      i = end
    }
  }
  return out
}

// Blocks another test file runs as printed.
const ELSEWHERE = {
  'The server side: `MqttConnection`, `createServer`, `createSecureServer`, `createConnection`': 'broker-example.test.js',
  'The codec: `mqtt-napi/packet`': 'packet-codec.test.js',
  "Device runtimes' MQTT APIs: `mqtt-napi/device` and `mqtt-napi/jsre`": 'device.test.js and jsre.test.js'
}

let certs, broker, tlsPort, wsPort
test.before(async () => {
  certs = makeCerts()
  tlsPort = await freePort()
  wsPort = await freePort()
  broker = await startBroker([
    `listener ${tlsPort} 127.0.0.1`, `cafile ${certs.caPath}`, `certfile ${certs.certPath}`, `keyfile ${certs.keyPath}`, 'require_certificate true',
    `listener ${wsPort} 127.0.0.1`, 'protocol websockets'
  ])
})
test.after(async () => {
  await broker?.stop()
  certs?.remove()
})

/** Runs `code` as a file in a fresh directory where `require('mqtt')` is the package under test. */
function run (code, files = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-readme-'))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(upstream ? path.join(ROOT, 'node_modules', 'mqtt') : ROOT, path.join(dir, 'node_modules', 'mqtt'))
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  fs.writeFileSync(path.join(dir, 'example.js'), code)
  return new Promise((resolve) => {
    execFile(process.execPath, ['example.js'], { cwd: dir, timeout: 15_000 }, (err, stdout, stderr) => {
      fs.rmSync(dir, { recursive: true, force: true })
      resolve({ code: err ? (err.killed ? 'killed' : err.code) : 0, stdout, stderr })
    })
  })
}

// How each README section's block runs: the substitutions and what it must print.
const RUNS = {
  'The client': {
    code: (c) => c.replace("'mqtt://127.0.0.1:1883'", `'mqtt://127.0.0.1:${broker.port}'`),
    prints: /^sensors\/t1 21\.5\n$/
  },
  'TLS (`mqtts://`, `ssl://`, `tls://`)': {
    code: (c) => c.replace("'mqtts://broker.example.com:8883'", `'mqtts://localhost:${tlsPort}'`).replace("servername: 'broker.example.com'", "servername: 'localhost'"),
    files: () => ({ 'ca.pem': certs.ca, 'device.crt': certs.clientCert, 'device.key': certs.clientKey }),
    prints: /^connected over TLS\n$/
  },
  'WebSocket, Unix sockets and custom streams': {
    code: (c) => c.replace("'ws://broker.example.com:8083/mqtt'", `'ws://127.0.0.1:${wsPort}/mqtt'`),
    prints: /^connected over WebSocket\n$/
  }
}

test('every JS block of README.md is run by a test, and the other docs have none', () => {
  for (const b of blocks('README.md')) {
    assert.ok(RUNS[b.section] || ELSEWHERE[b.section], `README's block in "${b.section}" is run by no test`)
  }
  for (const doc of ['DEVELOPMENT.md', 'BENCHMARKS.md', 'MEASUREMENTS.md']) {
    assert.deepStrictEqual(blocks(doc), [], `${doc} has JS blocks: run them here`)
  }
})

for (const [section, how] of Object.entries(RUNS)) {
  test(`README's example in "${section}" runs as printed`, { timeout: 30_000 }, async () => {
    const found = blocks('README.md').filter((b) => b.section === section)
    assert.strictEqual(found.length, 1, `one block in ${section}`)
    const code = how.code(found[0].code)
    assert.notStrictEqual(code, found[0].code, 'the host and port were substituted')
    const r = await run(code, how.files ? how.files() : {})
    assert.strictEqual(r.code, 0, `${r.stdout}\n${r.stderr}`)
    assert.match(r.stdout, how.prints, r.stderr)
  })
}
