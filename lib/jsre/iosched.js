// @ts-check
'use strict'

// JSRE's `iosched`, as far as its MQTT scripts use it: `forever()` runs the event loop, which
// on Node runs by itself once the script's top level returns.

/** Nothing to do on Node: the event loop runs after the script's top level. */
function forever () {}

module.exports = { forever }
