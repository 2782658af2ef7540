'use strict'

// npm run bench: builds the release addon, then runs each benchmark in turn: client.js (fake
// Rust broker), mosquitto.js (through a real Mosquitto), scale.js (thousands of idle clients),
// codec.js. Each runs mqtt-napi and
// upstream side by side, alternating, and prints ratios. BENCH_ONLY=a.js,b.js picks some.

const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..')
if (process.env.BENCH_SKIP_BUILD !== '1') {
  // npm packages (MQTT.js, mqtt-packet) and Mosquitto, when missing.
  const e = spawnSync('bash', [path.join(root, 'scripts', 'ensure.sh'), '--broker'], { cwd: root, stdio: 'inherit', env: { ...process.env, ENSURE_SKIP_ADDON: '1' } })
  if (e.status !== 0) process.exit(e.status || 1)
  const r = spawnSync('npx', ['napi', 'build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status || 1)
}
console.log(`node ${process.version}, ${require('node:os').cpus()[0].model}, ${require('node:os').cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`)
for (const b of (process.env.BENCH_ONLY || 'client.js,transports.js,mosquitto.js,scale.js,codec.js').split(',')) {
  const r = spawnSync(process.execPath, [path.join(__dirname, b)], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status || 1)
}
