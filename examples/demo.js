'use strict'

// npm start: the demo broker (examples/broker.js, built on mqtt.createServer) in this
// process on 127.0.0.1, a subscriber and a publisher made with mqtt.connect, and a raw
// createConnection client whose will message fires when its socket drops. Prints the
// messages flowing, then the rate of a few bursts. Needs nothing but this package.

const mqtt = require('..')
const { createBroker } = require('./broker')

const BURST = Number(process.env.DEMO_BURST || 50000)

function once (emitter, name) {
  return new Promise((resolve, reject) => {
    emitter.once(name, resolve)
    if (name !== 'error') emitter.once('error', reject)
  })
}

async function main () {
  const broker = createBroker({ log: (line) => console.log(`  [broker] ${line}`) })
  broker.listen(0, '127.0.0.1')
  await once(broker, 'listening')
  const url = `mqtt://127.0.0.1:${broker.address().port}`
  console.log(`mqtt-napi demo: a development broker on ${url} (a demo, not a production broker)\n`)

  const sub = mqtt.connect(url, { clientId: 'demo-sub' })
  await once(sub, 'connect')
  await sub.subscribeAsync({ 'sensors/#': { qos: 1 }, 'status/+': { qos: 0 } })
  let printing = true
  const onMessage = (topic, payload, packet) => {
    if (printing) console.log(`  sub <- ${topic}: ${payload} (QoS ${packet.qos}${packet.retain ? ', retained' : ''})`)
  }
  sub.on('message', onMessage)

  const pub = mqtt.connect(url, { clientId: 'demo-pub' })
  await once(pub, 'connect')
  console.log('publisher -> sensors/... and status/...')
  await pub.publishAsync('sensors/kitchen/temp', '21.5', { qos: 1 })
  await pub.publishAsync('sensors/garage/door', 'open', { qos: 0 })
  await pub.publishAsync('status/demo-pub', 'online', { retain: true })
  await pub.publishAsync('other/topic', 'nobody subscribed to this')

  // A late subscriber still gets the retained status.
  const late = mqtt.connect(url, { clientId: 'demo-late' })
  late.on('message', (topic, payload, packet) => console.log(`  late <- ${topic}: ${payload} (retained: ${packet.retain})`))
  await once(late, 'connect')
  await late.subscribeAsync('status/#')

  // A raw connection with a will; its socket drops without DISCONNECT, so the broker
  // publishes the will.
  const raw = mqtt.createConnection(broker.address().port, '127.0.0.1')
  raw.on('error', () => {})
  await once(raw, 'connected')
  raw.connect({ clientId: 'demo-device', keepalive: 30, will: { topic: 'status/demo-device', payload: 'offline (will)', qos: 0, retain: false } })
  await once(raw, 'connack')
  raw.stream.destroy()
  await new Promise((resolve) => setTimeout(resolve, 100))

  printing = false
  console.log(`\nbursts of ${BURST} messages of 16 B, publisher -> broker -> subscriber:`)
  const payload = Buffer.alloc(16, 0x61)
  for (const qos of [0, 1]) {
    let got = 0
    const done = new Promise((resolve) => {
      const count = (topic) => {
        if (topic === `sensors/burst/${qos}` && ++got === BURST) {
          sub.removeListener('message', count)
          resolve()
        }
      }
      sub.on('message', count)
    })
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < BURST; i++) pub.publish(`sensors/burst/${qos}`, payload, { qos })
    await done
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    console.log(`  QoS ${qos}: ${BURST} messages in ${(s * 1000).toFixed(0)} ms, ${(BURST / s / 1000).toFixed(1)} k messages/s`)
  }

  await Promise.all([sub.endAsync(), pub.endAsync(), late.endAsync()])
  await new Promise((resolve) => broker.close(resolve))
  console.log('\ndone. Next: `npm test` builds the addon, installs Mosquitto if missing, and runs the suite.')
}

main().catch((err) => {
  console.error(`demo failed: ${err.message}`)
  process.exit(1)
})
