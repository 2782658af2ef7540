'use strict'

// `require('mqtt-napi/jsre')`: the MQTT module of JSRE (an embedded JavaScript runtime) on
// Node. `node -r mqtt-napi/jsre/register` makes `require('mqtt')` (and 'socket',
// 'iosched') resolve to it, so JSRE's scripts run unchanged.

module.exports = require('./lib/jsre/index')
module.exports.default = module.exports
