'use strict'

// DEBUG=mqttjs* (issue 30): the `debug` package's namespaces, as MQTT.js logs them, with the
// same lines at the same points of a connect, subscribe, publish and end; what only the
// native side sees under mqttjs:native; the `log` option gets the client's lines (and the
// native ones, marked); nothing at all without DEBUG. The MQTT.js lines pass on MQTT.js
// too (MQTT_IMPL=mqtt).
const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { upstream } = require('./helpers/impl')
const { startBroker, freePort } = require('./helpers/broker')

const CHILD = path.join(__dirname, 'helpers', 'debug-child.js')

let broker
test.before(async () => { broker = await startBroker() })
test.after(async () => { await broker?.stop() })

function child (args, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, ...args], { env: { ...process.env, DEBUG_COLORS: '0', DEBUG_HIDE_DATE: '1', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`))
      resolve({ stdout, lines: stderr.split('\n').filter(Boolean) })
    })
  })
}

/** The lines MQTT.js logs for this program, in this order (a subsequence of the output). */
const CLIENT_LINES = [
  'mqttjs connecting to an MQTT broker...',
  'mqttjs:client MqttClient :: version: 5.16.0',
  'mqttjs:client MqttClient :: options.protocolVersion 4',
  /^mqttjs:client MqttClient :: clientId debug-\d+$/,
  'mqttjs:client connect :: calling method to clear reconnect',
  'mqttjs:client connect: sending packet `connect`',
  "mqttjs:client _writePacket :: packet: {",
  'mqttjs:client _handleConnack',
  'mqttjs:client _setupKeepaliveManager :: keepalive 60 (seconds)',
  'mqttjs:client subscribe: pushing topic `debug/t` and qos `1` to subs list',
  'mqttjs:client _handleAck :: packet type suback',
  'mqttjs:client publish :: message `hello` to topic `debug/t`',
  'mqttjs:client handlePublish: qos 1',
  "mqttjs:client _writePacket :: packet: { cmd: 'puback', messageId: 1, reasonCode: 0 }",
  'mqttjs:client _handleAck :: packet type puback',
  'mqttjs:client end :: (debug-',
  'mqttjs:client _cleanUp :: forced? false',
  'mqttjs:client close :: connected set to `false`',
  'mqttjs:client end :: closeStores: emitting end'
]

/** Asserts `want` appear in `lines` in order (strings as prefixes). */
function inOrder (lines, want) {
  let at = 0
  for (const w of want) {
    const i = lines.findIndex((l, k) => k >= at && (typeof w === 'string' ? l.startsWith(w) : w.test(l)))
    assert.ok(i >= 0, `no line ${w} after line ${at} in:\n${lines.join('\n')}`)
    at = i + 1
  }
}

test('DEBUG=mqttjs* logs MQTT.js\'s lines at MQTT.js\'s points, and the native side\'s under mqttjs:native', { timeout: 30_000 }, async () => {
  const { lines } = await child([String(broker.port)], { DEBUG: 'mqttjs*' })
  inOrder(lines, CLIENT_LINES)
  assert.ok(lines.length >= 60, `${lines.length} lines`)
  if (upstream) return
  const id = /clientId (debug-\d+)/.exec(lines.join('\n'))[1]
  inOrder(lines, [
    `mqttjs:native (${id}) connecting to 127.0.0.1:${broker.port} over TCP, attempt 1`,
    `mqttjs:native (${id}) connected to 127.0.0.1:${broker.port} in `,
    `mqttjs:native (${id}) packet out: connect`,
    `mqttjs:native (${id}) packet in: connack`,
    `mqttjs:native (${id}) packet in: suback id `,
    `mqttjs:native (${id}) packet in: publish id 1 topic 'debug/t' qos 1, 5 B`,
    `mqttjs:native (${id}) packet out: puback id 1`,
    `mqttjs:native (${id}) connection to 127.0.0.1:${broker.port} closed`
  ])
})

test('DEBUG=mqttjs:native alone: the native lines only', { timeout: 30_000, skip: upstream && 'mqttjs:native is this package\'s' }, async () => {
  const { lines } = await child([String(broker.port)], { DEBUG: 'mqttjs:native' })
  assert.ok(lines.length >= 5, lines.join('\n'))
  for (const l of lines) assert.match(l, /^mqttjs:native \(debug-\d+\) /)
})

test('without DEBUG nothing is logged', { timeout: 30_000 }, async () => {
  const { lines } = await child([String(broker.port)], { DEBUG: '' })
  assert.deepStrictEqual(lines, [])
})

test('the log option receives the client\'s lines (and the native side\'s, marked), and DEBUG adds nothing', { timeout: 30_000 }, async () => {
  const { stdout, lines } = await child([String(broker.port), 'log'], { DEBUG: '' })
  assert.deepStrictEqual(lines, [])
  const got = JSON.parse(stdout)
  inOrder(got, CLIENT_LINES.filter((l) => typeof l !== 'string' || l.startsWith('mqttjs:client ')).map((l) => typeof l === 'string' ? l.slice('mqttjs:client '.length) : new RegExp(l.source.replace('^mqttjs:client ', '^'))))
  if (!upstream) inOrder(got, [`native :: connecting to 127.0.0.1:${broker.port} over TCP, attempt 1`, 'native :: packet in: connack'])
})

test('mqttjs:native tells a refused connection attempt and its error', { timeout: 30_000, skip: upstream && 'mqttjs:native is this package\'s' }, async () => {
  // A port nobody listens on: the attempt is refused.
  const port = await freePort()
  const lines = await new Promise((resolve) => {
    execFile(process.execPath, ['-e', `
      const mqtt = require(${JSON.stringify(path.join(__dirname, '..'))})
      const c = mqtt.connect('mqtt://127.0.0.1:${port}', { clientId: 'refused', reconnectPeriod: 0 })
      c.on('close', () => c.end())
    `], { env: { ...process.env, DEBUG: 'mqttjs:native', DEBUG_COLORS: '0', DEBUG_HIDE_DATE: '1' }, timeout: 20_000 }, (_err, _stdout, stderr) => resolve(stderr.split('\n').filter(Boolean)))
  })
  inOrder(lines, [
    `mqttjs:native (refused) connecting to 127.0.0.1:${port} over TCP, attempt 1`,
    `mqttjs:native (refused) connection to 127.0.0.1:${port} ended: ECONNREFUSED: `
  ])
})
