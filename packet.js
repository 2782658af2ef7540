'use strict'

// require('mqtt-napi/packet'): mqtt-packet 9's API (parser, generate, writeToStream) on the
// native codec.
module.exports = require('./lib/packet')
