'use strict'

// Run from an app directory that installed this package as `mqtt`: a QoS 1 publish/subscribe
// round trip through require('mqtt') against the broker on 127.0.0.1:PORT. Prints where the
// package and its native binary came from.
//   node roundtrip.js PORT

const mqtt = require('mqtt')
const pkg = require('mqtt/package.json')

const port = Number(process.argv[2])
if (pkg.name !== 'mqtt-napi') throw new Error(`require('mqtt') is ${pkg.name}, not mqtt-napi`)
const deadline = setTimeout(() => {
  console.error('roundtrip: no message within 20 s')
  process.exit(1)
}, 20000)

const topic = `roundtrip/${process.pid}`
const client = mqtt.connect({ host: '127.0.0.1', port, protocolVersion: 5 })
client.on('error', (err) => {
  console.error('roundtrip:', err.message)
  process.exit(1)
})
client.on('connect', () => {
  client.subscribe(topic, { qos: 1 }, (err) => {
    if (err) throw err
    client.publish(topic, 'hello from require("mqtt")', { qos: 1 })
  })
})
client.on('message', (t, payload, packet) => {
  if (t !== topic || payload.toString() !== 'hello from require("mqtt")' || packet.qos !== 1) {
    console.error('roundtrip: unexpected message', t, payload.toString(), packet.qos)
    process.exit(1)
  }
  client.end(() => {
    clearTimeout(deadline)
    const binaries = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
    console.log(`roundtrip: ok, mqtt-napi ${pkg.version}, binary ${binaries.join(', ')}`)
  })
})
