'use strict'

// A small SOCKS server on loopback (SOCKS 4, 4a, 5 with no authentication or a user name and
// password), written from the protocol documents for these tests. It records what each
// client asked for and relays to the destination, which must be on loopback: any other
// destination is refused, so a test can never reach past this machine. `refuse` answers every
// CONNECT with that SOCKS 5 reply code; `silent` never answers (for timeouts).

const net = require('node:net')

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1'])

/** Reads from `socket` until `n` bytes are buffered; resolves them (and keeps the rest). */
function reader (socket) {
  let buf = Buffer.alloc(0)
  let want = null
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    if (want && buf.length >= want.n) {
      const w = want
      want = null
      const out = buf.subarray(0, w.n)
      buf = buf.subarray(w.n)
      w.resolve(out)
    }
  })
  return {
    read: (n) => new Promise((resolve) => {
      if (buf.length >= n) {
        const out = buf.subarray(0, n)
        buf = buf.subarray(n)
        resolve(out)
      } else want = { n, resolve }
    }),
    /** Bytes up to and including the next 0. */
    async cstring () {
      const parts = []
      for (;;) {
        const [b] = await this.read(1)
        if (b === 0) return Buffer.from(parts).toString()
        parts.push(b)
      }
    },
    rest: () => buf
  }
}

function startSocksServer ({ refuse = 0, silent = false, users = null } = {}) {
  /** @type {Array<{version: number, host: string, port: number, user?: string}>} */
  const requests = []
  const sockets = new Set()
  const server = net.createServer(async (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (silent) return
    const r = reader(socket)
    try {
      const [version] = await r.read(1)
      let host
      let port
      let user
      if (version === 4) {
        const head = await r.read(7)
        port = head.readUInt16BE(1)
        const ip = [...head.subarray(3, 7)]
        user = await r.cstring()
        host = ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0 ? await r.cstring() : ip.join('.')
      } else if (version === 5) {
        const [n] = await r.read(1)
        const methods = [...await r.read(n)]
        if (users) {
          if (!methods.includes(2)) return socket.end(Buffer.from([5, 0xff]))
          socket.write(Buffer.from([5, 2]))
          const [, ulen] = await r.read(2)
          user = (await r.read(ulen)).toString()
          const [plen] = await r.read(1)
          const pass = (await r.read(plen)).toString()
          if (users[user] !== pass) return socket.end(Buffer.from([1, 1]))
          socket.write(Buffer.from([1, 0]))
        } else {
          socket.write(Buffer.from([5, 0]))
        }
        const [, cmd, , atyp] = await r.read(4)
        if (cmd !== 1) return socket.end(Buffer.from([5, 7, 0, 1, 0, 0, 0, 0, 0, 0]))
        if (atyp === 1) host = [...await r.read(4)].join('.')
        else if (atyp === 3) host = (await r.read((await r.read(1))[0])).toString()
        else if (atyp === 4) host = [...await r.read(16)].map((b) => b.toString(16).padStart(2, '0')).join('').replace(/(.{4})(?!$)/g, '$1:').replace(/^(0000:){7}0001$/, '::1')
        port = (await r.read(2)).readUInt16BE(0)
      } else {
        return socket.destroy()
      }
      requests.push({ version, host, port, user })
      const fail = (code) => socket.end(Buffer.from(version === 4 ? [0, 0x5b, 0, 0, 0, 0, 0, 0] : [5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
      if (refuse) return fail(refuse)
      if (!LOOPBACK_NAMES.has(host)) return fail(2)
      const upstream = net.connect(port, host === 'localhost' ? '127.0.0.1' : host)
      upstream.on('error', () => { if (!socket.destroyed) fail(5) })
      upstream.on('connect', () => {
        socket.write(Buffer.from(version === 4 ? [0, 0x5a, 0, 0, 0, 0, 0, 0] : [5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
        const early = r.rest()
        if (early.length) upstream.write(early)
        socket.removeAllListeners('data')
        socket.pipe(upstream)
        upstream.pipe(socket)
        socket.on('close', () => upstream.destroy())
        upstream.on('close', () => socket.destroy())
      })
    } catch {
      socket.destroy()
    }
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      requests,
      /** Drops every connection through the proxy. */
      dropAll: () => { for (const s of sockets) s.destroy() },
      close: () => new Promise((done) => {
        for (const s of sockets) s.destroy()
        server.close(() => done())
      })
    }))
  })
}

module.exports = { startSocksServer }
