'use strict'

// Loads the native addon once, with a message a person can act on when it is missing.

const path = require('path')

let native
try {
  native = require('../binding.js')
} catch (err) {
  // The name the package is installed under: `mqtt` when installed as mqtt@npm:mqtt-napi,
  // and `npm rebuild` takes that name.
  const parts = path.join(__dirname, '..').split(path.sep)
  const at = parts.lastIndexOf('node_modules')
  const name = at >= 0 && at < parts.length - 1 ? parts.slice(at + 1).join('/') : 'mqtt-napi'
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
