'use strict'

// The runtime surface next to MQTT.js 5.16's (the devDependency `mqtt`): every export, and
// every member of the client's prototype chain, so a name a future MQTT.js adds shows up
// here as a failure. Then the helpers it exports and its KeepaliveManager, on both.
const test = require('node:test')
const assert = require('node:assert')
const { upstream, noMockTimers, mqtt: load } = require('./helpers/impl')
const { sleep } = require('./helpers/wait')

const mqtt = load()
const reference = require('mqtt')

/** @param {any} proto */
function members (proto) {
  const names = new Set()
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) names.add(n)
  }
  return names
}

test('every export of MQTT.js 5.16 is here, with the same kind', () => {
  for (const [name, value] of Object.entries(reference)) {
    assert.ok(name in mqtt, `missing export ${name}`)
    assert.strictEqual(typeof mqtt[name], typeof value, `kind of ${name}`)
  }
  for (const name of Object.keys(reference.default)) {
    assert.ok(name in mqtt.default, `missing default.${name}`)
  }
})

test('every public member of MQTT.js 5.16 client prototype and statics is here', () => {
  // Members named with a leading underscore are MQTT.js's private machinery (its store
  // streaming, packet writing): the native session does that work here.
  const ours = members(mqtt.MqttClient.prototype)
  for (const name of members(reference.MqttClient.prototype)) {
    if (!name.startsWith('_')) assert.ok(ours.has(name), `MqttClient.prototype.${name}`)
  }
  for (const name of ['VERSION', 'defaultId']) {
    assert.strictEqual(typeof mqtt.MqttClient[name], typeof reference.MqttClient[name], name)
  }
  const km = members(mqtt.KeepaliveManager.prototype)
  for (const name of members(reference.KeepaliveManager.prototype)) {
    assert.ok(km.has(name), `KeepaliveManager.prototype.${name}`)
  }
})

test('validateTopic and validateTopics answer as MQTT.js', () => {
  for (const t of ['a/b', '+', '#', 'a/+/b', 'a/#', '', '/', 'a/#/b', 'a+', 'a/b#', '+/+/#']) {
    assert.strictEqual(mqtt.validateTopic(t), reference.validateTopic(t), t)
  }
  for (const list of [[], ['a'], ['a', 'b/#/c'], ['x+', 'y']]) {
    assert.strictEqual(mqtt.validateTopics(list), reference.validateTopics(list), JSON.stringify(list))
  }
})

test('applyMixin copies the members of a class and its ancestors', () => {
  class Base { hello () { return 'base' } get kind () { return 'b' } }
  class Mixin extends Base { world () { return 'mixin' } }
  class Target {}
  mqtt.applyMixin(Target, Mixin)
  const t = /** @type {any} */ (new Target())
  assert.strictEqual(t.hello(), 'base')
  assert.strictEqual(t.world(), 'mixin')
  assert.strictEqual(t.kind, 'b')
  assert.strictEqual(Target.prototype.constructor, Target)
  mqtt.applyMixin(Target, Mixin, true)
  assert.strictEqual(Target.prototype.constructor, Mixin)
  assert.strictEqual(mqtt.nextTick, process.nextTick)
})

/** A client stand-in, as MQTT.js's own KeepaliveManager test uses. */
function fakeClient (keepalive) {
  const calls = []
  return {
    calls,
    options: { keepalive },
    sendPing: () => calls.push('ping'),
    onKeepaliveTimeout: () => calls.push('timeout'),
    log: () => {}
  }
}

test('KeepaliveManager: ping after one keepalive, timeout after 1.5, on a custom timer', () => {
  /** @type {Array<{fn: () => void, ms: number, live: boolean}>} */
  const timers = []
  const timer = {
    set: (fn, ms) => { timers.push({ fn, ms, live: true }); return timers.length },
    clear: (id) => { timers[id - 1].live = false }
  }
  const client = { keepalive: 10, ...fakeClient(10) }
  const m = new mqtt.KeepaliveManager(client, timer)
  assert.strictEqual(m.keepalive, 10000)
  assert.strictEqual(m.intervalEvery, 5000)
  assert.ok(Math.abs(m.keepaliveTimeoutTimestamp - (Date.now() + 15000)) < 1000)
  const tick = () => { for (const t of timers.filter((x) => x.live)) t.fn() }
  tick()
  assert.deepStrictEqual(client.calls, [])
  tick()
  assert.deepStrictEqual(client.calls, ['ping'])
  m.reschedule()
  assert.strictEqual(timers.filter((t) => t.live).length, 1, 'reschedule replaces the timer')
  tick()
  tick()
  tick()
  assert.deepStrictEqual(client.calls, ['ping', 'ping', 'timeout'])
  m.destroy()
  assert.strictEqual(timers.filter((t) => t.live).length, 0)
  assert.throws(() => m.setKeepalive(-1), /Keepalive value must be an integer between 0 and 2147483647. Provided value is -1000/)
  assert.throws(() => new mqtt.KeepaliveManager({ keepalive: 2147484, ...fakeClient(2147484) }, timer), /Provided value is 2147484000/)
})

test('the keepalive timer is the one fake timers drive: a ping per keepalive, then a timeout', { skip: noMockTimers }, async (t) => {
  // A broker that never answers PINGREQ: with the clock mocked, one keepalive sends a
  // PINGREQ (reported as sent at once), 1.5 keepalives end in 'Keepalive timeout'.
  const { fakeBroker, acceptConnect } = require('./helpers/fake-broker')
  const broker = await fakeBroker(acceptConnect)
  t.after(() => broker.close())
  // Mocked before connecting, as sinon's fake timers are in MQTT.js's tests: the timer is
  // made at CONNACK.
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: Date.now() })
  const client = mqtt.connect({ host: '127.0.0.1', port: broker.port, keepalive: 60, reconnectPeriod: 0 })
  await new Promise((resolve) => client.once('connect', resolve))
  assert.ok(client.keepaliveManager, 'a keepalive manager while connected')
  const sent = []
  client.on('packetsend', (p) => sent.push(p.cmd))
  const errors = []
  client.on('error', (e) => errors.push(e.message))
  t.mock.timers.tick(59_999)
  assert.deepStrictEqual(sent, [])
  t.mock.timers.tick(1)
  assert.deepStrictEqual(sent, ['pingreq'])
  for (let i = 0; i < 200 && !broker.connections[0].packets.some((p) => p.cmd === 'pingreq'); i++) await sleep(10)
  assert.ok(broker.connections[0].packets.some((p) => p.cmd === 'pingreq'), 'the PINGREQ reached the broker')
  t.mock.timers.tick(30_000)
  assert.deepStrictEqual(errors, ['Keepalive timeout'])
  assert.strictEqual(client.keepaliveManager, null)
  t.mock.timers.reset()
  if (client.connected) await new Promise((resolve) => client.once('close', resolve))
  await new Promise((resolve) => client.end(resolve))
})

test('KeepaliveManager: the reschedules of one turn restart the timer at most twice', { skip: upstream && 'internal: MQTT.js restarts its timer at every ack' }, async () => {
  let sets = 0
  const timer = { set: () => ++sets, clear: () => {} }
  const client = { keepalive: 10, ...fakeClient(10) }
  const m = new mqtt.KeepaliveManager(client, timer)
  await new Promise((resolve) => process.nextTick(resolve))
  const before = sets
  for (let i = 0; i < 1000; i++) m.reschedule()
  assert.strictEqual(sets, before + 1, 'the first one at once')
  assert.strictEqual(m.counter, 0)
  await new Promise((resolve) => process.nextTick(resolve))
  assert.strictEqual(sets, before + 2, 'once more at the end of the turn')
  m.destroy()
})

test('outgoing entries carry their command; messageIdToTopic has no publishes', async (t) => {
  const { fakeBroker, acceptConnect } = require('./helpers/fake-broker')
  const broker = await fakeBroker(acceptConnect)
  t.after(() => broker.close())
  const c = mqtt.connect({ host: '127.0.0.1', port: broker.port, reconnectPeriod: 0 })
  t.after(() => c.end(true))
  await new Promise((resolve) => c.once('connect', resolve))
  c.publish('t/p', 'x', { qos: 1 })
  c.subscribe('t/s', { qos: 1 })
  c.unsubscribe('t/u')
  const entries = Object.entries(c.outgoing).map(([id, e]) => [e.cmd, e.volatile, typeof e.cb, c.messageIdToTopic[id]])
  assert.deepStrictEqual(entries.sort(), [
    ['publish', false, 'function', undefined],
    ['subscribe', true, 'function', []],
    ['unsubscribe', true, 'function', undefined]
  ])
})
