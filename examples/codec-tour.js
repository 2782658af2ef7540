'use strict'

// npm start: a tour of what mqtt-napi does today. It encodes packets at the three protocol
// levels with the native codec, reads them back from a byte stream cut at random places,
// shows a malformed packet being refused with the rule it breaks, and races the native
// parser against mqtt-packet (the codec MQTT.js uses) for two seconds.

const mqttPacket = require('mqtt-packet')
const mp = require('../packet.js')

const hex = (b) => b.toString('hex').replace(/(..)/g, '$1 ').trim()

console.log('mqtt-napi demo: the native MQTT codec\n')
const samples = [
  [{ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'demo', keepalive: 60 }, undefined],
  [{ cmd: 'connect', protocolVersion: 4, clientId: 'demo', keepalive: 60, username: 'u', password: Buffer.from('p') }, undefined],
  [{ cmd: 'publish', topic: 'sensors/t1', payload: '21.5', qos: 1, messageId: 7, properties: { contentType: 'text/plain', userProperties: { unit: 'C' } } }, { protocolVersion: 5 }],
  [{ cmd: 'subscribe', messageId: 8, subscriptions: [{ topic: 'sensors/#', qos: 2, nl: true, rap: false, rh: 1 }] }, { protocolVersion: 5 }]
]
const bytes = []
for (const [packet, opts] of samples) {
  const b = mp.generate(packet, opts)
  const same = b.equals(mqttPacket.generate(packet, opts)) ? 'same bytes as mqtt-packet' : 'DIFFERS from mqtt-packet'
  console.log(`${packet.cmd} (level ${packet.protocolVersion || opts.protocolVersion}), ${b.length} bytes, ${same}:\n  ${hex(b)}`)
  bytes.push(b)
}

// Read back the last two (level 5) from a stream cut into random pieces.
const stream = Buffer.concat(bytes.slice(2))
const parser = mp.parser({ protocolVersion: 5 })
parser.on('packet', (p) => console.log(`\nparsed ${p.cmd}:`, JSON.stringify({ ...p, payload: p.payload && p.payload.toString() })))
for (let i = 0; i < stream.length;) {
  const n = 1 + Math.floor(Math.random() * 8)
  parser.parse(stream.subarray(i, i + n))
  i += n
}

const bad = mp.parser()
bad.on('error', (e) => console.log(`\nmalformed input refused: ${e.message} (code ${e.code})`))
bad.parse(Buffer.from([0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x23])) // PUBLISH to "a/#"

function race (lib, input, ms) {
  let n = 0
  const p = lib.parser()
  p.on('packet', () => { n++ })
  const end = Date.now() + ms
  while (Date.now() < end) for (const c of input) p.parse(c)
  return n / (ms / 1000)
}
const many = Buffer.concat(Array.from({ length: 4096 }, (_, i) => mqttPacket.generate({ cmd: 'publish', topic: 'sensors/t1', payload: Buffer.alloc(16, i), qos: 0 })))
const chunks = []
for (let i = 0; i < many.length; i += 65536) chunks.push(many.subarray(i, i + 65536))
const theirs = race(mqttPacket, chunks, 1000)
const ours = race(mp, chunks, 1000)
console.log(`\nparsing 16-byte PUBLISH packets for 1 s each: mqtt-packet ${(theirs / 1e6).toFixed(2)} M/s, mqtt-napi ${(ours / 1e6).toFixed(2)} M/s (${(ours / theirs).toFixed(1)}x)`)
console.log('\nThe client (mqtt.connect over TCP) runs on this codec too; the server API and demo broker come next. See README.md.')
