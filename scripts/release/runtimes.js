'use strict'

// Run from an app directory that installed this package as `mqtt`: the device runtimes' entry
// points resolve through the installed package (CommonJS, ESM, the register hook), and a
// device-API client does a QoS 1 round trip with the broker on 127.0.0.1:PORT.
//   node runtimes.js PORT

const { execFileSync } = require('node:child_process')
const device = require('mqtt/device')
const jsre = require('mqtt/jsre')

const port = Number(process.argv[2])
if (typeof device.connect !== 'function' || typeof jsre.open !== 'function' || jsre.mode() !== 'publisher') {
  throw new Error('runtimes: mqtt/device or mqtt/jsre is not the runtime API')
}
const esm = execFileSync(process.execPath, ['--input-type=module', '-e',
  "import d from 'mqtt/device'; import { open } from 'mqtt/jsre'; console.log(typeof d.connect, typeof open)"])
if (esm.toString().trim() !== 'function function') throw new Error(`runtimes: ESM entries gave ${esm}`)
const hooked = execFileSync(process.execPath, ['-r', 'mqtt/device/register', '-e', "print(typeof mqtt.connect)"])
if (hooked.toString().trim() !== 'function') throw new Error(`runtimes: the register hook gave ${hooked}`)

const deadline = setTimeout(() => {
  console.error('runtimes: no message within 20 s')
  process.exit(1)
}, 20000)
const topic = `runtimes/${process.pid}`
const client = device.connect(`mqtt://127.0.0.1:${port}`, { clientId: `runtimes-${process.pid}` })
client.on('error', (err) => {
  console.error('runtimes: device error', err.code, err.message, client.get('errnoConnect'))
  process.exit(1)
})
client.on('connect', () => {
  client.subscribe(topic, { qos: 1 }, (err) => {
    if (err.code !== 0) throw new Error(`runtimes: subscribe gave ${err.code}`)
    client.publish(topic, 'hello from mqtt/device', { qos: 1 })
  })
})
client.on('message', (t, message) => {
  if (t !== topic || message !== 'hello from mqtt/device') {
    console.error('runtimes: unexpected message', t, message)
    process.exit(1)
  }
  client.end(() => {
    clearTimeout(deadline)
    console.log('runtimes: ok (mqtt/device round trip, mqtt/jsre, ESM entries, register hook)')
  })
})
