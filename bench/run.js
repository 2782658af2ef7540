'use strict'

// npm run bench: builds the release addon if needed, then runs each benchmark in turn.
// Each benchmark runs mqtt-napi and upstream side by side in one process and prints ratios.

const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..')
if (process.env.BENCH_SKIP_BUILD !== '1') {
  const r = spawnSync('npx', ['napi', 'build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status || 1)
}
console.log(`node ${process.version}, ${require('node:os').cpus()[0].model}, ${require('node:os').cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`)
for (const b of (process.env.BENCH_ONLY || 'client.js,codec.js').split(',')) {
  const r = spawnSync(process.execPath, [path.join(__dirname, b)], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status || 1)
}
