'use strict'

// Codec benchmark: mqtt-napi/packet against mqtt-packet on the same packets, in one run,
// alternating A B A B. Parsing feeds 64 KiB chunks, as a socket delivers them.

const mqttPacket = require('mqtt-packet')
const ours = require('../packet.js')
const { alternate, report } = require('./lib/stats')

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5)
const TOPIC = 'sensors/building-1/floor-2/temperature'

function packets (size, qos, n) {
  const payload = Buffer.alloc(size, 0x5a)
  return Array.from({ length: n }, (_, i) => ({ cmd: 'publish', topic: TOPIC, payload, qos, messageId: qos ? (i % 65535) + 1 : undefined, retain: false, dup: false }))
}

function chunks (buf, size) {
  const out = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

function parseRate (lib, input, n) {
  const p = lib.parser()
  let count = 0
  p.on('packet', (x) => { count += x.payload.length > 0 ? 1 : 1 })
  const t0 = process.hrtime.bigint()
  for (const c of input) p.parse(c)
  const dt = Number(process.hrtime.bigint() - t0) / 1e9
  if (count !== n) throw new Error(`parsed ${count} of ${n}`)
  return n / dt
}

function generateRate (lib, list) {
  let bytes = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < list.length; i++) bytes += lib.generate(list[i]).length
  const dt = Number(process.hrtime.bigint() - t0) / 1e9
  if (bytes === 0) throw new Error('nothing generated')
  return list.length / dt
}

const rows = []
for (const [size, qos, n] of [[16, 0, 300000], [16, 1, 300000], [1024, 0, 100000], [65536, 0, 3000]]) {
  const list = packets(size, qos, n)
  const input = chunks(Buffer.concat(list.map((p) => mqttPacket.generate(p))), 65536)
  // Warm both up before measuring.
  parseRate(mqttPacket, input, n); parseRate(ours, input, n)
  generateRate(mqttPacket, list); generateRate(ours, list)
  const parse = alternate({ ours: () => parseRate(ours, input, n), theirs: () => parseRate(mqttPacket, input, n) }, ROUNDS)
  rows.push({ name: `parse publish ${size} B qos${qos}`, ...parse })
  const gen = alternate({ ours: () => generateRate(ours, list), theirs: () => generateRate(mqttPacket, list) }, ROUNDS)
  rows.push({ name: `generate publish ${size} B qos${qos}`, ...gen })
}
report(`codec: mqtt-napi/packet vs mqtt-packet ${require('mqtt-packet/package.json').version} (packets/s, ${ROUNDS} rounds)`, rows)
