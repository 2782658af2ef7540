'use strict'

// A small MQTT broker on mqtt.createServer: wildcard subscriptions, retained messages,
// QoS 0 and 1 (QoS 2 publishes are accepted and delivered at QoS 1 at most), will messages,
// keepalive, clean sessions only. It is a demo and a test peer, NOT a production broker:
// nothing is persisted, nothing is authenticated, one process holds everything. Use
// Mosquitto, or EMQX / HiveMQ / VerneMQ clusters, for real deployments.
//
//   const { createBroker } = require('mqtt-napi/examples/broker')
//   const broker = createBroker(); broker.listen(1883, '127.0.0.1')
//   createBroker({ webSocket: true }).listen(8083)   // ws://127.0.0.1:8083/mqtt

const mqtt = require('..')

/** True when `topic` matches the subscription `filter` (`+` one level, `#` the rest). */
function matches (filter, topic) {
  const f = filter.split('/')
  const t = topic.split('/')
  // Filters starting with a wildcard do not match topics starting with `$` (MQTT 4.7.2).
  if (topic[0] === '$' && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

function createBroker (opts = {}) {
  const log = opts.log || (() => {})
  const clients = new Map() // clientId -> session
  const retained = new Map() // topic -> publish packet

  // One handler per connection, whichever server accepted it.
  const onClient = (conn) => {
    let session = null
    let timer = null

    const touch = () => {
      if (!session || !session.keepalive) return
      clearTimeout(timer)
      // MQTT 3.1.2.10: one and a half keepalive periods without a packet ends the client.
      timer = setTimeout(() => conn.destroy(), session.keepalive * 1500)
    }

    const close = (reason) => {
      clearTimeout(timer)
      if (!session) return
      const s = session
      session = null
      if (clients.get(s.id) === s) clients.delete(s.id)
      if (s.will && reason !== 'disconnect') route({ ...s.will, cmd: 'publish', qos: s.will.qos || 0 })
      log(`client ${s.id} gone (${reason})`)
    }

    conn.on('error', (err) => {
      log(`client ${session ? session.id : '?'}: ${err.message}`)
      conn.destroy()
    })
    conn.on('close', () => close('connection closed'))
    conn.on('data', touch)

    conn.on('connect', (p) => {
      if (session) return conn.destroy() // a second CONNECT is a protocol violation
      const v5 = p.protocolVersion === 5
      const id = p.clientId || `auto-${Math.random().toString(16).slice(2, 10)}`
      const old = clients.get(id)
      if (old) old.conn.destroy() // a new connection with the same id takes over
      session = { id, conn, subs: new Map(), will: p.will, keepalive: p.keepalive, v5, nextId: 1, inflight: new Map(), qos2: new Set(), aliases: new Map() }
      clients.set(id, session)
      const ack = { returnCode: 0, reasonCode: 0, sessionPresent: false }
      if (v5 && !p.clientId) ack.properties = { assignedClientIdentifier: id }
      conn.connack(ack)
      touch()
      log(`client ${id} connected (MQTT level ${p.protocolVersion})`)
    })

    conn.on('subscribe', (p) => {
      if (!session) return conn.destroy()
      const granted = p.subscriptions.map((s) => {
        if (!validFilter(s.topic)) return 0x80
        const qos = Math.min(s.qos, 1)
        session.subs.set(s.topic, qos)
        for (const [topic, msg] of retained) {
          if (matches(s.topic, topic)) deliver(session, msg, qos, true)
        }
        return qos
      })
      conn.suback({ messageId: p.messageId, granted, reasonCodes: granted })
    })

    conn.on('unsubscribe', (p) => {
      if (!session) return conn.destroy()
      for (const t of p.unsubscriptions) session.subs.delete(t)
      conn.unsuback({ messageId: p.messageId, reasonCodes: p.unsubscriptions.map(() => 0) })
    })

    conn.on('publish', (p) => {
      if (!session) return conn.destroy()
      if (p.properties) {
        // MQTT 5 topic aliases belong to one connection: resolve, then do not forward.
        const { topicAlias, ...rest } = p.properties
        if (topicAlias) {
          if (p.topic) session.aliases.set(topicAlias, p.topic)
          else p.topic = session.aliases.get(topicAlias)
          if (!p.topic) return conn.destroy()
        }
        p.properties = rest
      }
      if (p.qos === 2) {
        // Exactly once: deliver on PUBLISH, remember the id until PUBREL.
        if (!session.qos2.has(p.messageId)) route(p)
        session.qos2.add(p.messageId)
        return conn.pubrec({ messageId: p.messageId })
      }
      route(p)
      if (p.qos === 1) conn.puback({ messageId: p.messageId })
    })

    conn.on('pubrel', (p) => {
      if (!session) return
      session.qos2.delete(p.messageId)
      conn.pubcomp({ messageId: p.messageId })
    })
    conn.on('puback', (p) => session && session.inflight.delete(p.messageId))
    conn.on('pingreq', () => conn.pingresp())
    conn.on('disconnect', () => {
      close('disconnect')
      conn.destroy()
    })
  }
  // opts.webSocket: MQTT over WebSocket on path /mqtt (createWebSocketServer, the ws package).
  const server = opts.webSocket ? mqtt.createWebSocketServer({ path: '/mqtt' }, onClient) : mqtt.createServer(onClient)

  /** Sends a message to one subscriber at `qos` (at most what it published with). */
  function deliver (s, p, qos, retain) {
    const out = { topic: p.topic, payload: p.payload, qos: Math.min(p.qos, qos), retain: !!retain }
    if (p.properties && s.v5) out.properties = p.properties
    if (out.qos > 0) {
      do s.nextId = (s.nextId % 65535) + 1
      while (s.inflight.has(s.nextId))
      out.messageId = s.nextId
      s.inflight.set(out.messageId, out)
    }
    s.conn.publish(out)
  }

  /** Routes a publish to every matching subscription, and keeps it if retained. */
  function route (p) {
    if (p.retain) {
      if (p.payload == null || p.payload.length === 0) retained.delete(p.topic)
      else retained.set(p.topic, { topic: p.topic, payload: p.payload, qos: Math.min(p.qos, 1), properties: p.properties })
    }
    for (const s of clients.values()) {
      let best = -1
      for (const [filter, qos] of s.subs) {
        if (qos > best && matches(filter, p.topic)) best = qos
      }
      if (best >= 0) deliver(s, p, best, false)
    }
  }

  server.clientCount = () => clients.size
  return server
}

function validFilter (f) {
  if (typeof f !== 'string' || f.length === 0) return false
  const levels = f.split('/')
  return levels.every((l, i) => (l === '#' ? i === levels.length - 1 : l === '+' || !/[+#]/.test(l)))
}

module.exports = { createBroker, matches }

if (require.main === module) {
  const port = Number(process.argv[2] || 1883)
  const host = process.argv[3] || '127.0.0.1'
  const webSocket = process.argv[4] === 'ws'
  createBroker({ log: console.log, webSocket }).listen(port, host, function () {
    console.log(`mqtt-napi demo broker (development only) listening on ${webSocket ? 'ws://' : ''}${host}:${this.address().port}${webSocket ? '/mqtt' : ''}`)
  })
}
