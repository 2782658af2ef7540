'use strict'

// What a user sees when the package is installed without its native addon.
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { upstream } = require('./helpers/impl')

test('without its addon, require fails with ERR_MQTT_NAPI_NO_BINARY: one line of ours, the platform and the fix', { skip: upstream && 'mqtt-napi only: MQTT.js has no native addon' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-install-'))
  try {
    const pkg = path.join(dir, 'app', 'node_modules', 'mqtt')
    for (const file of ['lib/native.js', 'scripts/platform.js']) {
      fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true })
      fs.copyFileSync(path.join(__dirname, '..', file), path.join(pkg, file))
    }
    // What napi-rs's loader throws when no binary matches.
    fs.writeFileSync(path.join(pkg, 'binding.js'), "throw new Error('Cannot find native binding. npm has a bug related to optional dependencies (https://github.com/npm/cli/issues/4828). Please try `npm i` again after removing both package-lock.json and node_modules directory.')\n")
    const { platformArchABI } = require('../scripts/platform.js')
    assert.throws(() => require(path.join(pkg, 'lib', 'native.js')), (err) => {
      assert.strictEqual(err.code, 'ERR_MQTT_NAPI_NO_BINARY')
      assert.ok(err.message.startsWith(`mqtt-napi: no native addon for ${platformArchABI()} (Node ${process.version})`), err.message)
      assert.match(err.message, /Build it with `npx mqtt-napi-build` in your project \(needs Rust: https:\/\/rustup.rs\), or use the `mqtt` package\.$/)
      assert.doesNotMatch(err.message, /package-lock|npm has a bug|\n/, 'ours alone, one line')
      assert.match(err.cause.message, /Cannot find native binding/)
      return true
    })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('no install script: npm script policies never stand in the way; the source build is a bin, `mqtt-napi-build`, in the package', { skip: upstream && 'mqtt-napi only' }, () => {
  const pkg = require('../package.json')
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.strictEqual(pkg.scripts?.[hook], undefined, `scripts.${hook}`)
  }
  assert.ok(!fs.existsSync(path.join(__dirname, '..', 'binding.gyp')), 'a binding.gyp makes npm add `node-gyp rebuild`')
  const bin = pkg.bin['mqtt-napi-build']
  assert.ok(pkg.files.includes(bin), `${bin} is published`)
  assert.match(fs.readFileSync(path.join(__dirname, '..', bin), 'utf8'), /^#!\/usr\/bin\/env node\n/)
})

test('mqtt-napi-build, with no binary and no cargo, fails with what to install and what to run', { skip: upstream && 'mqtt-napi only' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-install-'))
  try {
    const pkg = path.join(dir, 'app', 'node_modules', 'mqtt')
    for (const file of ['scripts/build-addon.js', 'scripts/platform.js', 'package.json', 'Cargo.toml']) {
      fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true })
      fs.copyFileSync(path.join(__dirname, '..', file), path.join(pkg, file))
    }
    fs.writeFileSync(path.join(pkg, 'binding.js'), "throw new Error('no binary here')\n")
    // PATH with node alone: no cargo.
    const bin = fs.mkdtempSync(path.join(dir, 'bin-'))
    fs.symlinkSync(process.execPath, path.join(bin, 'node'))
    const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'build-addon.js')], { cwd: path.join(dir, 'app'), env: { PATH: bin }, encoding: 'utf8' })
    assert.strictEqual(r.status, 1, r.stderr)
    assert.match(r.stderr, /building the native addon for \S+ needs Rust; install it from https:\/\/rustup.rs and run `npx mqtt-napi-build` again/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('mqtt-napi-build keeps a binary that loads', { skip: upstream && 'mqtt-napi only' }, () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'build-addon.js')], { encoding: 'utf8' })
  assert.strictEqual(r.status, 0, r.stderr)
  assert.match(r.stderr, /the native addon loads \(.*\.node\); nothing to build/)
})

test('every platform package is an optional dependency at the package version, and every napi target has one', { skip: upstream && 'mqtt-napi only' }, () => {
  const pkg = require('../package.json')
  const dirs = fs.readdirSync(path.join(__dirname, '..', 'npm')).sort()
  assert.deepStrictEqual(Object.keys(pkg.optionalDependencies).sort(), dirs.map((d) => `mqtt-napi-${d}`))
  for (const dir of dirs) {
    const sub = require(`../npm/${dir}/package.json`)
    assert.strictEqual(sub.name, `mqtt-napi-${dir}`)
    assert.strictEqual(pkg.optionalDependencies[sub.name], pkg.version)
    assert.deepStrictEqual(sub.files, [`mqtt-napi.${dir}.node`])
    assert.strictEqual(sub.main, `mqtt-napi.${dir}.node`)
  }
  assert.strictEqual(pkg.napi.targets.length, dirs.length)
  // Each target is built by scripts/release/build.sh into its npm/ folder.
  const build = fs.readFileSync(path.join(__dirname, '..', 'scripts', 'release', 'build.sh'), 'utf8')
  for (const target of pkg.napi.targets) {
    const m = new RegExp(`^\\s*${target.replace(/[.]/g, '\\.')}\\) DIR=([\\w-]+)`, 'm').exec(build)
    assert.ok(m, `build.sh builds ${target}`)
    assert.ok(dirs.includes(m[1]), `${target} -> npm/${m[1]}`)
  }
})

test('the version is the MQTT.js API it implements, so `mqtt@npm:mqtt-napi` satisfies `mqtt@^5` peer ranges', { skip: upstream && 'mqtt-napi only' }, () => {
  const pkg = require('../package.json')
  const { MQTTJS_VERSION } = require('..')
  // ^5.0.0: major 5, no prerelease tag (a prerelease satisfies no such range).
  const [, major, minor] = /^(\d+)\.(\d+)\.\d+$/.exec(pkg.version) || []
  assert.strictEqual(major, '5', pkg.version)
  assert.strictEqual(`${major}.${minor}`, MQTTJS_VERSION.split('.').slice(0, 2).join('.'))
  for (const dir of require('node:fs').readdirSync(path.join(__dirname, '..', 'npm'))) {
    assert.strictEqual(require(`../npm/${dir}/package.json`).version, pkg.version, `npm/${dir}`)
  }
})
