'use strict'

// `require('mqtt-napi/device')`: the MQTT API of a device runtime (its global `mqtt`
// object) on Node. `require('mqtt-napi/device/register')` also makes it, and `print`,
// globals, so the runtime's scripts run unchanged.

module.exports = require('./lib/device/index')
module.exports.default = module.exports
