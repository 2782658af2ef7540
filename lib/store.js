// @ts-check
'use strict'

// MQTT.js's Store: an in-memory map of packets by messageId, with put/get/del/createStream/
// close. Users may pass their own (same interface) as incomingStore / outgoingStore.

const { Readable } = require('node:stream')

class Store {
  /** @param {any} [options] */
  constructor (options) {
    // As MQTT.js: `clean` (default true) makes close() forget the packets.
    this.options = { clean: true, ...(options || {}) }
    /** @type {Map<number, any>} */
    this._inflights = new Map()
  }

  /** @param {any} packet @param {Function} [cb] */
  put (packet, cb) {
    this._inflights.set(packet.messageId, packet)
    if (cb) cb()
    return this
  }

  /** A readable stream (object mode) of every stored packet, in insertion order. */
  createStream () {
    const it = this._inflights.values()
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
    const found = this._inflights.get(packet.messageId)
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
    const found = this._inflights.get(packet.messageId)
    if (found) cb(null, found)
    else if (cb) cb(new Error('missing packet'))
    return this
  }

  /** @param {Function} [cb] */
  close (cb) {
    if (this.options.clean) this._inflights.clear()
    if (cb) cb()
  }
}

module.exports = { Store }
