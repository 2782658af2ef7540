'use strict'

// What a user sees when the package is installed without its native addon.
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { upstream } = require('./helpers/impl')

test('without its addon, require fails with ERR_MQTT_NAPI_NO_BINARY and advice for the name it is installed under', { skip: upstream && 'mqtt-napi only: MQTT.js has no native addon' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-install-'))
  try {
    for (const name of ['mqtt', 'mqtt-napi']) {
      const lib = path.join(dir, 'app', 'node_modules', name, 'lib')
      fs.mkdirSync(lib, { recursive: true })
      for (const file of ['native.js', 'package-name.js']) {
        fs.copyFileSync(path.join(__dirname, '..', 'lib', file), path.join(lib, file))
      }
      assert.throws(() => require(path.join(lib, 'native.js')), (err) => {
        assert.strictEqual(err.code, 'ERR_MQTT_NAPI_NO_BINARY')
        assert.match(err.message, new RegExp(`run \`npm rebuild ${name}\` in your project`))
        assert.doesNotMatch(err.message, /\n/, 'one line, no stack of the loader')
        return true
      })
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the install script, with no binary and no cargo, succeeds and gives the advice for the name it is installed under', { skip: upstream && 'mqtt-napi only: MQTT.js has no install script' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-install-'))
  try {
    for (const name of ['mqtt', 'mqtt-napi']) {
      const pkg = path.join(dir, 'app', 'node_modules', name)
      for (const file of ['scripts/install.js', 'scripts/platform.js', 'lib/package-name.js', 'package.json', 'Cargo.toml']) {
        fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true })
        fs.copyFileSync(path.join(__dirname, '..', file), path.join(pkg, file))
      }
      fs.writeFileSync(path.join(pkg, 'binding.js'), "throw new Error('no binary here')\n")
      // PATH with node alone: no cargo.
      const bin = fs.mkdtempSync(path.join(dir, 'bin-'))
      fs.symlinkSync(process.execPath, path.join(bin, 'node'))
      const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'install.js')], {
        cwd: pkg,
        env: { PATH: bin },
        encoding: 'utf8'
      })
      assert.strictEqual(r.status, 0, r.stderr)
      assert.match(r.stderr, /no prebuilt binary for \S+ and no Rust toolchain found/)
      assert.match(r.stderr, new RegExp(`run \`npm rebuild ${name}\` in your project`))
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
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
