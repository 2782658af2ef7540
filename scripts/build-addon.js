#!/usr/bin/env node
'use strict'

// `npx mqtt-napi-build`: builds the native addon from source, for a platform with no prebuilt
// binary. The package has no install script (npm's script policies, `--ignore-scripts` and
// `--strict-allow-scripts`, never stand between a user and the prebuilt binary), so this is
// run by hand, once, in the project: the error a `require` without a binary throws says so.
// A binary that already loads is kept (`--force` builds anyway).
//
// Progress lines go to stderr (a build takes minutes). Environment: MQTT_NAPI_BUILD_PROFILE
// names the cargo profile of a package's build (default release; `fast` skips LTO: quicker
// build, somewhat slower addon).

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const { platformArchABI } = require('./platform.js')

const root = path.join(__dirname, '..')

function say (line) {
  process.stderr.write(`${line}\n`)
}

/** Where a loadable binary is, or null. */
function binary () {
  try {
    const found = Object.keys(require.cache)
    require(path.join(root, 'binding.js'))
    return Object.keys(require.cache).find((f) => f.endsWith('.node') && !found.includes(f)) || 'loaded'
  } catch {
    return null
  }
}

function hasCargo () {
  const r = spawnSync('cargo', ['--version'], { stdio: 'ignore' })
  return !r.error && r.status === 0
}

// In a checkout (dev dependencies present): the napi CLI, which also writes binding.js and
// binding.d.ts, with the quick optimized profile.
function buildCheckout (napiCli) {
  say('mqtt-napi: building the native addon (profile fast)...')
  const args = [napiCli, 'build', '--platform', '--profile', 'fast', '--js', 'binding.js', '--dts', 'binding.d.ts']
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  return r.status === 0
}

// In a package install: cargo alone, in a temporary target directory removed afterwards (a
// build leaves hundreds of megabytes there), with a progress line every few crates.
function buildPackage () {
  const profile = process.env.MQTT_NAPI_BUILD_PROFILE || 'release'
  const ownTarget = !process.env.CARGO_TARGET_DIR
  const targetDir = process.env.CARGO_TARGET_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-build-'))
  const started = Date.now()
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`
  say(`mqtt-napi: no prebuilt binary for ${platformArchABI()}; building it from source with cargo (profile ${profile}, a few minutes)...`)
  const child = spawn('cargo', ['build', '--lib', '--locked', '--profile', profile, '--message-format=json-render-diagnostics'], {
    cwd: root,
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let crates = 0
  let library = null
  let lastSaid = Date.now()
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let msg
    try {
      msg = JSON.parse(line)
    } catch {
      return
    }
    if (msg.reason !== 'compiler-artifact') return
    crates++
    if (msg.target && msg.target.name === 'mqtt_napi') {
      library = (msg.filenames || []).find((f) => /\.(so|dylib|dll)$/.test(f)) || library
    }
    if (crates % 20 === 0 || Date.now() - lastSaid > 15000) {
      lastSaid = Date.now()
      say(`mqtt-napi: compiled ${crates} crates (${elapsed()})`)
    }
  })
  return new Promise((resolve) => {
    child.on('error', (err) => {
      say(`mqtt-napi: could not run cargo: ${err.message}`)
      resolve(false)
    })
    child.on('close', (code) => {
      let ok = code === 0 && library !== null
      if (ok) {
        fs.copyFileSync(library, path.join(root, `mqtt-napi.${platformArchABI()}.node`))
        say(`mqtt-napi: built the native addon in ${elapsed()}`)
      }
      if (ownTarget) fs.rmSync(targetDir, { recursive: true, force: true })
      if (ok && !binary()) {
        say('mqtt-napi: the built addon does not load')
        ok = false
      }
      resolve(ok)
    })
  })
}

async function main () {
  const have = binary()
  if (have && !process.argv.includes('--force')) {
    say(`mqtt-napi: the native addon loads (${have}); nothing to build (--force builds anyway).`)
    return 0
  }
  if (!hasCargo()) {
    say(`mqtt-napi: building the native addon for ${platformArchABI()} needs Rust; install it from https://rustup.rs and run \`npx mqtt-napi-build\` again.`)
    return 1
  }
  if (!fs.existsSync(path.join(root, 'Cargo.toml'))) {
    say('mqtt-napi: this copy of the package has no Rust sources to build from.')
    return 1
  }
  const napiCli = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
  const ok = fs.existsSync(napiCli) && fs.existsSync(path.join(root, '.git')) ? buildCheckout(napiCli) : await buildPackage()
  if (!ok) {
    say('mqtt-napi: the source build failed; see the messages above.')
    return 1
  }
  return 0
}

main().then((code) => {
  process.exitCode = code
})
