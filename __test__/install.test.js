'use strict'

// What a user sees when the package is installed without its native addon.
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { upstream } = require('./helpers/impl')

test('without its addon, require fails with ERR_MQTT_NAPI_NO_BINARY and advice for the name it is installed under', { skip: upstream && 'mqtt-napi only: MQTT.js has no native addon' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-install-'))
  try {
    for (const name of ['mqtt', 'mqtt-napi']) {
      const lib = path.join(dir, 'app', 'node_modules', name, 'lib')
      fs.mkdirSync(lib, { recursive: true })
      fs.copyFileSync(path.join(__dirname, '..', 'lib', 'native.js'), path.join(lib, 'native.js'))
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
