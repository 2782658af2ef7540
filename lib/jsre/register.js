'use strict'

// `node -r mqtt-napi/jsre/register script.js`: in the script (and everything it loads),
// `require('mqtt')` is JSRE's mqtt module, `require('socket')` gives `sockaddr` and
// `require('iosched')` gives `forever()`, so JSRE's scripts run unchanged.

const Module = require('node:module')
const path = require('node:path')

const ROUTES = {
  mqtt: path.join(__dirname, 'index.js'),
  socket: path.join(__dirname, 'socket.js'),
  iosched: path.join(__dirname, 'iosched.js')
}

const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, Object.hasOwn(ROUTES, request) ? ROUTES[request] : request, ...rest)
}
