'use strict'

// A relay server over the server-side API under test (the README's example, as a helper).

/**
 * The README's relay: every PUBLISH goes to every client subscribed to its exact topic,
 * at the QoS it was published with (enough for two clients to talk).
 */
function relay (createServer) {
  const clients = new Set()
  let nextId = 1
  const server = createServer((client) => {
    client.subs = new Set()
    client.on('connect', () => {
      clients.add(client)
      client.connack({ returnCode: 0 })
    })
    client.on('subscribe', (packet) => {
      for (const s of packet.subscriptions) client.subs.add(s.topic)
      client.suback({ messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) })
    })
    client.on('publish', (packet) => {
      for (const c of clients) {
        if (c.subs.has(packet.topic)) {
          c.publish({ topic: packet.topic, payload: packet.payload, qos: packet.qos, messageId: packet.qos ? nextId++ : undefined })
        }
      }
      if (packet.qos === 1) client.puback({ messageId: packet.messageId })
      if (packet.qos === 2) client.pubrec({ messageId: packet.messageId })
    })
    client.on('unsubscribe', (packet) => {
      for (const t of packet.unsubscriptions) client.subs.delete(t)
      client.unsuback({ messageId: packet.messageId })
    })
    client.on('pubrel', (packet) => client.pubcomp({ messageId: packet.messageId }))
    client.on('pubrec', (packet) => client.pubrel({ messageId: packet.messageId }))
    client.on('pingreq', () => client.pingresp())
    client.on('disconnect', () => client.stream.end())
    client.on('close', () => clients.delete(client))
    client.on('error', () => client.destroy())
  })
  return server
}

module.exports = { relay }
