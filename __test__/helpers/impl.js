'use strict'

// Which implementation the suite runs against: this package by default, upstream when
// MQTT_IMPL=mqtt (the drop-in check: the same test must pass on both).
const path = require('path')

const upstream = process.env.MQTT_IMPL === 'mqtt'

// node:test's fake timers as the tests use them (t.mock.timers.enable({ apis })) came in Node
// 20.11 (Node 18 has an older form); tests that need them skip, with this reason, elsewhere.
const [major, minor] = process.versions.node.split('.').map(Number)
const mockTimersWork = () => major > 20 || (major === 20 && minor >= 11)
const noMockTimers = mockTimersWork() ? false : `node:test fake timers with { apis } need Node 20.11+ (this is ${process.version})`
const root = path.join(__dirname, '..', '..')

// The runtime the suite runs on (scripts/test-runtimes.sh runs it on Bun and Deno): 'bun',
// 'deno' or 'node', as the package detects it.
const runtime = require('../../lib/runtime').name
/** A test's `skip`: the reason, when not on Node, that it needs Node. */
const nodeOnly = (why) => runtime !== 'node' && `needs Node: ${why}`

module.exports = {
  upstream,
  noMockTimers,
  runtime,
  nodeOnly,
  name: upstream ? 'mqtt' : 'mqtt-napi',
  mqtt: () => (upstream ? require('mqtt') : require(root)),
  packet: () => (upstream ? require('mqtt-packet') : require(path.join(root, 'packet.js')))
}
