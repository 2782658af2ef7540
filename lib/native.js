'use strict'

// Loads the native addon once, with a message a person can act on when it is missing.

const { platformArchABI } = require('../scripts/platform.js')

let native
try {
  native = require('../binding.js')
} catch (err) {
  // The loader's own text (napi-rs's advice about an npm bug) does not apply: it stays in
  // `cause`, for whoever debugs.
  const e = new Error(
    `mqtt-napi: no native addon for ${platformArchABI()} (Node ${process.version}): ` +
      'no prebuilt binary was installed for this platform and none was built from source. ' +
      'Build it with `npx mqtt-napi-build` in your project (needs Rust: https://rustup.rs), or use the `mqtt` package.'
  )
  e.code = 'ERR_MQTT_NAPI_NO_BINARY'
  e.cause = err
  throw e
}

// The per-message calls, as plain functions (src/binding/fast_calls.rs).
native.fast = native.fastCalls()

module.exports = native
