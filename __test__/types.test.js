'use strict'

// The hand-written types (index.d.ts, packet.d.ts) compile for typical MQTT.js usage.

const test = require('node:test')
const assert = require('node:assert')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

test('index.d.ts and packet.d.ts type-check typical usage under --strict', { skip: process.env.MQTT_IMPL === 'mqtt' }, () => {
  const root = path.join(__dirname, '..')
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--types', 'node', '--moduleResolution', 'node', '--esModuleInterop', path.join(__dirname, 'types', 'usage.ts')], { cwd: root, encoding: 'utf8' })
  assert.strictEqual(r.status, 0, r.stdout + r.stderr)
})
