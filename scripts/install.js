'use strict'

// npm's install hook. A prebuilt binary (from an npm/ platform package) or an addon built
// earlier is used as it is; otherwise, with Rust present, the addon is built from source.
// Without either, the install still succeeds and require('mqtt-napi') explains what to do.

const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')

function hasBinary () {
  try {
    require(path.join(root, 'binding.js'))
    return true
  } catch {
    return false
  }
}

if (process.env.MQTT_NAPI_SKIP_BUILD === '1' || hasBinary()) process.exit(0)

const cargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' })
if (cargo.error || cargo.status !== 0) {
  process.stderr.write(
    `mqtt-napi: no prebuilt binary for ${process.platform}-${process.arch} and no Rust toolchain found.\n` +
      'Install Rust from https://rustup.rs and run `npm rebuild mqtt-napi`, or use the `mqtt` package.\n'
  )
  process.exit(0)
}

if (!fs.existsSync(path.join(root, 'Cargo.toml'))) process.exit(0)

// A git checkout builds the quick optimized profile (no LTO); a package install builds the
// release profile that ships.
function profileArgs () {
  return fs.existsSync(path.join(root, '.git')) ? ['--profile', 'fast'] : ['--release']
}
process.stderr.write('mqtt-napi: building the native addon from source (a few minutes)...\n')
const napiCli = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
const args = fs.existsSync(napiCli)
  ? [napiCli, 'build', '--platform', ...profileArgs(), '--js', 'binding.js', '--dts', 'binding.d.ts']
  : null
const r = args
  ? spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  : spawnSync('cargo', ['build', '--release'], { cwd: root, stdio: 'inherit' })
if (r.status !== 0) {
  process.stderr.write('mqtt-napi: the source build failed; see the messages above.\n')
  process.exit(1)
}
if (!args) {
  // Without the napi CLI (a user install), place the library where binding.js looks.
  const ext = process.platform === 'win32' ? 'dll' : process.platform === 'darwin' ? 'dylib' : 'so'
  const prefix = process.platform === 'win32' ? '' : 'lib'
  const built = path.join(root, 'target', 'release', `${prefix}mqtt_napi.${ext}`)
  const { platformArchABI } = require('./platform.js')
  fs.copyFileSync(built, path.join(root, `mqtt-napi.${platformArchABI()}.node`))
}
