// @ts-check
'use strict'

// `client.stream` of a client on a native transport: what programs read from MQTT.js's
// socket (addresses, destroy, end, 'close'), standing for the current connection.

const { EventEmitter } = require('node:events')
const { wsUrl } = require('./transport-options')

/** Stands for the connection as MQTT.js's `client.stream`: destroy() or end() drops it. */
class NativeStream extends EventEmitter {
  /** @param {any} client the MqttClient */
  constructor (client) {
    super()
    this._client = client
    this.destroyed = false
  }

  /** @param {Error} [err] */
  destroy (err) {
    if (this.destroyed) return this
    this.destroyed = true
    if (err) this._client.emit('error', err)
    this._client._native?.dropConnection()
    return this
  }

  end () {
    if (!this.destroyed) this._client._native?.dropConnection()
    return this
  }

  write () { return true }

  /** @param {number} k index in NativeClient.addresses() */
  _address (k) {
    const a = this.destroyed ? null : this._client._native?.addresses()
    return a ? (k % 2 ? Number(a[k]) : a[k]) : undefined
  }

  get localAddress () { return this._address(0) }
  get localPort () { return this._address(1) }
  get remoteAddress () { return this._address(2) }
  get remotePort () { return this._address(3) }
  get remoteFamily () {
    const a = this._address(2)
    return a === undefined ? undefined : (String(a).includes(':') ? 'IPv6' : 'IPv4')
  }

  /** The local end, as Node's socket.address() gives it ({} once closed). */
  address () {
    const address = this.localAddress
    if (address === undefined) return {}
    return { address, family: String(address).includes(':') ? 'IPv6' : 'IPv4', port: this.localPort }
  }

  /** Over WebSocket, the connection's URL, as MQTT.js's WebSocket stream has it. */
  get url () { return wsUrl(this._client.options) }

  /** Nagle is always off on these sockets (TCP_NODELAY). */
  setNoDelay () { return this }
  /** TCP keepalive probes are not used: MQTT's own keepalive watches the connection. */
  setKeepAlive () { return this }
  setTimeout () { return this }
}

module.exports = { NativeStream }
