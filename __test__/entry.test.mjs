// The package entries: CommonJS and ESM, main and ./packet, resolve by the package's name.
import test from 'node:test'
import assert from 'node:assert'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const upstream = process.env.MQTT_IMPL === 'mqtt'

test('import of mqtt-napi/packet gives default and named exports', { skip: upstream }, async () => {
  const mod = await import('mqtt-napi/packet')
  assert.strictEqual(typeof mod.default.parser, 'function')
  assert.strictEqual(mod.generate, mod.default.generate)
  assert.strictEqual(typeof mod.writeToStream, 'function')
  const bytes = mod.generate({ cmd: 'pingreq' })
  assert.deepStrictEqual([...bytes], [0xc0, 0])
})

test('require and import of the main entry agree', { skip: upstream }, async () => {
  const esm = await import('mqtt-napi')
  const cjs = require('mqtt-napi')
  assert.strictEqual(esm.default, cjs)
  assert.strictEqual(esm.packet, cjs.packet)
  assert.strictEqual(require('mqtt-napi/packet'), cjs.packet)
})

test('import mqtt from and import { connect } from both work, as with mqtt', async () => {
  const mod = await import(upstream ? 'mqtt' : 'mqtt-napi')
  const { connect, connectAsync, MqttClient, Client, Store, ReasonCodes, MQTTJS_VERSION } = mod
  assert.strictEqual(typeof connect, 'function')
  assert.strictEqual(typeof connectAsync, 'function')
  assert.strictEqual(Client, MqttClient)
  assert.strictEqual(typeof new Store().put, 'function')
  assert.strictEqual(ReasonCodes[135], 'Not authorized')
  assert.match(MQTTJS_VERSION, /^5\./)
  assert.strictEqual(mod.default.connect, connect)
})

test('mqtt-napi/device and mqtt-napi/jsre: require and import agree; the register modules resolve', { skip: upstream }, async () => {
  for (const name of ['device', 'jsre']) {
    const esm = await import(`mqtt-napi/${name}`)
    const cjs = require(`mqtt-napi/${name}`)
    assert.strictEqual(esm.default, cjs)
    for (const k of Object.keys(cjs).filter((k) => k !== 'default')) assert.strictEqual(esm[k], cjs[k], `${name}.${k}`)
    assert.ok(require.resolve(`mqtt-napi/${name}/register`).endsWith(`/lib/${name}/register.js`))
  }
  const device = await import('mqtt-napi/device')
  assert.strictEqual(typeof device.connect, 'function')
  assert.strictEqual(typeof device.set, 'function')
  const jsre = await import('mqtt-napi/jsre')
  assert.strictEqual(jsre.mode(), 'publisher')
  assert.deepStrictEqual(jsre.sockaddr('127.0.0.1', 1883), { domain: 2, addr: '127.0.0.1', port: 1883 })
})
