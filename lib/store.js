// @ts-check
'use strict'

// MQTT.js's Store: an in-memory map of packets by messageId, with put/get/del/createStream/
// close. Users may pass their own (same interface) as incomingStore / outgoingStore.

const { Readable } = require('node:stream')

const NONE = new Map()

class Store {
  /** @param {any} [options] */
  constructor (options) {
    // As MQTT.js: `clean` (default true) makes close() forget the packets.
    this.options = { clean: true, ...(options || {}) }
    /** @type {Map<number, any> | null} Made at the first packet: every client has two
     * stores, and thousands of idle clients would each keep two empty maps. */
    this._map = null
  }

  /** MQTT.js's map of packets by messageId (its tests read it). */
  get _inflights () { return (this._map ??= new Map()) }
  set _inflights (map) { this._map = map }

  /** No packet is stored. */
  _isEmpty () { return !this._map || this._map.size === 0 }

  /** @param {any} packet @param {Function} [cb] */
  put (packet, cb) {
    this._inflights.set(packet.messageId, packet)
    if (cb) cb()
    return this
  }

  /** A readable stream (object mode) of every stored packet, in insertion order. */
  createStream () {
    const it = (this._map || NONE).values()
    let destroyed = false
    const stream = new Readable({
      objectMode: true,
      read () {
        const next = destroyed ? { done: true, value: undefined } : it.next()
        this.push(next.done ? null : next.value)
      }
    })
    const destroy = stream.destroy.bind(stream)
    stream.destroy = (err) => {
      destroyed = true
      return destroy(err)
    }
    return stream
  }

  /** @param {any} packet @param {Function} cb */
  del (packet, cb) {
    const found = this._map?.get(packet.messageId)
    if (found) {
      this._inflights.delete(packet.messageId)
      cb(null, found)
    } else if (cb) {
      cb(new Error('missing packet'))
    }
    return this
  }

  /** @param {any} packet @param {Function} cb */
  get (packet, cb) {
    const found = this._map?.get(packet.messageId)
    if (found) cb(null, found)
    else if (cb) cb(new Error('missing packet'))
    return this
  }

  /** @param {Function} [cb] */
  close (cb) {
    if (this.options.clean) this._map?.clear()
    if (cb) cb()
  }
}

module.exports = { Store }
