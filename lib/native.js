'use strict'

// Loads the native addon once, with a message a person can act on when it is missing.

const path = require('path')
const { installedName } = require('./package-name')

let native
try {
  native = require('../binding.js')
} catch (err) {
  const name = installedName(path.join(__dirname, '..'))
  const e = new Error(
    'mqtt-napi: the native addon could not be loaded for ' +
      `${process.platform}-${process.arch} (Node ${process.version}). ` +
      'No prebuilt binary matched this platform and it was not built from source. ' +
      `Install Rust (https://rustup.rs) and run \`npm rebuild ${name}\` in your project, or use the \`mqtt\` package. ` +
      `Cause: ${err && err.message ? err.message.split('\n')[0] : err}`
  )
  e.code = 'ERR_MQTT_NAPI_NO_BINARY'
  e.cause = err
  throw e
}

// The per-message calls, as plain functions (src/binding/fast_calls.rs).
native.fast = native.fastCalls()

module.exports = native
