'use strict'

// A TCP proxy on loopback that can be partitioned: while it is, nothing crosses in either
// direction (bytes are dropped, no FIN or reset is passed on, new connections are held
// unanswered), as when a network path goes dark; `heal()` restores it, passing on then the
// closes that happened meanwhile.

const net = require('node:net')

function partitionProxy (targetPort) {
  const pairs = new Set()
  let partitioned = false
  const server = net.createServer((client) => {
    const pair = { client, upstream: null, closed: [] }
    pairs.add(pair)
    client.on('error', () => {})
    const open = () => {
      const up = net.connect(targetPort, '127.0.0.1')
      pair.upstream = up
      up.on('error', () => {})
      client.on('data', (d) => { if (!partitioned) up.write(d) })
      up.on('data', (d) => { if (!partitioned) client.write(d) })
      const closeOther = (other) => () => {
        if (partitioned) pair.closed.push(other)
        else other.destroy()
      }
      client.on('close', closeOther(up))
      up.on('close', closeOther(client))
    }
    if (partitioned) pair.pending = open
    else open()
    client.on('close', () => { if (!pair.upstream) pairs.delete(pair) })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    partition () { partitioned = true },
    heal () {
      partitioned = false
      for (const pair of pairs) {
        for (const s of pair.closed.splice(0)) s.destroy()
        if (pair.pending && !pair.client.destroyed) pair.pending()
        pair.pending = null
      }
    },
    close () {
      for (const pair of pairs) {
        pair.client.destroy()
        if (pair.upstream) pair.upstream.destroy()
      }
      return new Promise((done) => server.close(() => done()))
    }
  })))
}

module.exports = { partitionProxy }
