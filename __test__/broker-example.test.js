'use strict'

// examples/broker.js (the demo broker) and examples/demo.js (npm start), with this package's
// client and MQTT.js as its clients; and the README's relay example, run as printed.

const test = require('node:test')
const { once, sleep, withTimeout } = require('./helpers/wait')
const assert = require('node:assert')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { createBroker, matches } = require('../examples/broker')

const root = path.join(__dirname, '..')
const ours = require(root)
const mqttjs = require('mqtt')
const upstream = process.env.MQTT_IMPL === 'mqtt'


async function start (server) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `mqtt://127.0.0.1:${server.address().port}`
}

test('topic filter matching: + one level, # the rest, $ topics kept out of wildcards', () => {
  assert.ok(matches('a/+/c', 'a/b/c'))
  assert.ok(!matches('a/+/c', 'a/b/d/c'))
  assert.ok(matches('a/#', 'a'))
  assert.ok(matches('a/#', 'a/b/c'))
  assert.ok(matches('#', 'x/y'))
  assert.ok(!matches('#', '$SYS/x'))
  assert.ok(!matches('+/x', '$SYS/x'))
  assert.ok(matches('$SYS/#', '$SYS/x'))
  assert.ok(!matches('a/b', 'a/b/c'))
})

test('demo broker over WebSocket (webSocket: true): QoS 1 from MQTT.js to this package over ws://', { skip: upstream && 'uses this package\'s server API' }, async () => {
  const broker = createBroker({ webSocket: true })
  broker.listen(0, '127.0.0.1')
  await once(broker, 'listening')
  const url = `ws://127.0.0.1:${broker.address().port}/mqtt`
  const sub = ours.connect(url, { reconnectPeriod: 0 })
  const pub = mqttjs.connect(url, { reconnectPeriod: 0 })
  try {
    await withTimeout(Promise.all([once(sub, 'connect'), once(pub, 'connect')]), 5000, 'connect')
    await sub.subscribeAsync('ws/+', { qos: 1 })
    const got = withTimeout(once(sub, 'message'), 5000, 'message')
    await pub.publishAsync('ws/a', 'over websocket', { qos: 1 })
    const [topic, payload, packet] = await got
    assert.deepStrictEqual([topic, payload.toString(), packet.qos], ['ws/a', 'over websocket', 1])
  } finally {
    await Promise.all([sub.endAsync(), pub.endAsync()])
    await new Promise((resolve) => broker.close(resolve))
  }
})

test('demo broker: wildcards, retained messages, QoS 0 and 1, will messages, with both clients', { skip: upstream && 'uses this package\'s server API' }, async () => {
  const broker = createBroker()
  const url = await start(broker)
  const sub = ours.connect(url, { reconnectPeriod: 0 })
  const pub = mqttjs.connect(url, { reconnectPeriod: 0 })
  try {
    await withTimeout(Promise.all([once(sub, 'connect'), once(pub, 'connect')]), 5000, 'connect')
    await pub.publishAsync('status/a', 'kept', { retain: true, qos: 1 })
    const got = []
    sub.on('message', (topic, payload, packet) => got.push([topic, payload.toString(), packet.qos, packet.retain]))
    const granted = await sub.subscribeAsync({ 'sensors/+/temp': { qos: 1 }, 'status/#': { qos: 0 } })
    assert.deepStrictEqual(granted.map((g) => g.qos), [1, 0])
    await pub.publishAsync('sensors/k/temp', '21', { qos: 1 })
    await pub.publishAsync('sensors/k/hum', 'no', { qos: 0 })
    await pub.publishAsync('sensors/k/temp', '22', { qos: 0 })
    // A raw connection with a will drops without DISCONNECT.
    const raw = ours.createConnection(broker.address().port, '127.0.0.1')
    raw.on('error', () => {})
    await withTimeout(once(raw, 'connected'), 5000, 'raw connected')
    raw.connect({ clientId: 'dev', keepalive: 10, will: { topic: 'status/dev', payload: 'gone', qos: 0, retain: false } })
    await withTimeout(once(raw, 'connack'), 5000, 'raw connack')
    raw.stream.destroy()
    for (let i = 0; i < 100 && got.length < 4; i++) await sleep(20)
    assert.deepStrictEqual(got, [
      ['status/a', 'kept', 0, true],
      ['sensors/k/temp', '21', 1, false],
      ['sensors/k/temp', '22', 0, false],
      ['status/dev', 'gone', 0, false]
    ])
    // Clearing the retained message: a late subscriber gets nothing.
    await pub.publishAsync('status/a', '', { retain: true })
    const late = ours.connect(url, { reconnectPeriod: 0 })
    await withTimeout(once(late, 'connect'), 5000, 'late connect')
    const lateGot = []
    late.on('message', (t) => lateGot.push(t))
    await late.subscribeAsync('status/#')
    await sleep(100)
    assert.deepStrictEqual(lateGot, [])
    await late.endAsync()
  } finally {
    await Promise.all([sub.endAsync(), pub.endAsync()])
    await new Promise((resolve) => broker.close(resolve))
  }
})

test('demo broker: garbage from one client closes only that client', { skip: upstream && 'uses this package\'s server API' }, async () => {
  const broker = createBroker()
  const url = await start(broker)
  const c = ours.connect(url, { reconnectPeriod: 0 })
  try {
    await withTimeout(once(c, 'connect'), 5000, 'connect')
    const bad = net.createConnection(broker.address().port, '127.0.0.1')
    bad.resume()
    bad.write(Buffer.from([0xf0, 0xff, 0xff, 0xff, 0xff, 0xff]))
    await withTimeout(once(bad, 'close'), 5000, 'bad client closed')
    await c.subscribeAsync('x')
    const got = once(c, 'message')
    await c.publishAsync('x', 'ok', { qos: 1 })
    assert.strictEqual((await withTimeout(got, 5000, 'message'))[1].toString(), 'ok')
  } finally {
    await c.endAsync()
    await new Promise((resolve) => broker.close(resolve))
  }
})

test('the README relay example runs as printed, and serves this package\'s client and MQTT.js', { skip: upstream && 'uses this package\'s server API' }, async () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## The server side'))
  const code = section.slice(section.indexOf('```js\n') + 6, section.indexOf('```\n', section.indexOf('```js\n') + 6))
  assert.match(code, /mqtt\.createServer/)
  // Run it with this checkout as 'mqtt-napi', on a free port, and hand back its server.
  const body = code.replace("require('mqtt')", 'require(ROOT)').replace("server.listen(1883, '127.0.0.1')", "server.listen(0, '127.0.0.1')") + '\nreturn server'
  const server = new Function('require', 'ROOT', body)(require, root) // eslint-disable-line no-new-func
  await once(server, 'listening')
  const url = `mqtt://127.0.0.1:${server.address().port}`
  const a = ours.connect(url, { reconnectPeriod: 0 })
  const b = mqttjs.connect(url, { reconnectPeriod: 0 })
  try {
    await withTimeout(Promise.all([once(a, 'connect'), once(b, 'connect')]), 5000, 'connect')
    for (const [from, to] of [[a, b], [b, a]]) {
      for (const qos of [0, 1, 2]) {
        await to.subscribeAsync(`r/${qos}`, { qos })
        const got = once(to, 'message')
        await withTimeout(from.publishAsync(`r/${qos}`, `m${qos}`, { qos }), 5000, 'publish')
        const [topic, payload, packet] = await withTimeout(got, 5000, 'message')
        assert.deepStrictEqual([topic, payload.toString(), packet.qos], [`r/${qos}`, `m${qos}`, qos])
        await withTimeout(to.unsubscribeAsync(`r/${qos}`), 5000, 'unsubscribe')
      }
    }
  } finally {
    await Promise.all([a.endAsync(), b.endAsync()])
    await new Promise((resolve) => server.close(resolve))
  }
})

test('npm start\'s demo (examples/demo.js) runs to the end with nothing else running', { skip: upstream && 'uses this package' }, () => {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', 'demo.js')], { encoding: 'utf8', timeout: 60000, env: { ...process.env, DEMO_BURST: '2000' } })
  assert.strictEqual(r.status, 0, r.stderr)
  assert.match(r.stdout, /sub <- sensors\/kitchen\/temp: 21\.5 \(QoS 1\)/)
  assert.match(r.stdout, /late <- status\/demo-pub: online \(retained: true\)/)
  assert.match(r.stdout, /sub <- status\/demo-device: offline \(will\)/)
  assert.match(r.stdout, /QoS 1: 2000 messages in \d+ ms/)
})
