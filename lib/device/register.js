'use strict'

// `node -r mqtt-napi/device/register script.js`: the device runtime's globals, `mqtt` and
// `print` (console.log), for its scripts to run unchanged.

globalThis.mqtt = require('./index')
if (typeof globalThis.print !== 'function') globalThis.print = (...args) => console.log(...args)
