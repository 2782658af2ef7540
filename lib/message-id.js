// @ts-check
'use strict'

// MQTT.js's message id providers. With the default one, the native session hands out ids
// (it skips ids still in flight); a custom provider, or the unique one, decides in JS.

class DefaultMessageIdProvider {
  constructor () {
    this.nextId = Math.max(1, Math.floor(Math.random() * 65535))
  }

  allocate () {
    const id = this.nextId++
    if (this.nextId === 65536) this.nextId = 1
    return id
  }

  getLastAllocated () {
    return this.nextId === 1 ? 65535 : this.nextId - 1
  }

  register (_id) { return true }
  deallocate (_id) {}
  clear () {}
}

/** Hands out the lowest free id, never one in use: a bitmap of the 65,535 ids (bit 0, id 0,
 * always set) and the lowest word that may have a free bit, so allocating in sequence costs a
 * word test, not a walk over every id in use. */
class UniqueMessageIdProvider {
  constructor () {
    this._bits = new Uint32Array(2048)
    this._bits[0] = 1
    /** Words below this one are full. */
    this._low = 0
    this._count = 0
    /** @type {number | null} */
    this._last = null
  }

  allocate () {
    if (this._count >= 65535) return null
    const bits = this._bits
    let w = this._low
    while (bits[w] === 0xffffffff) w++
    this._low = w
    const word = bits[w]
    // The lowest clear bit of the word, alone.
    const free = ~word & (word + 1)
    const id = w * 32 + 31 - Math.clz32(free)
    bits[w] = word | free
    this._count++
    this._last = id
    return id
  }

  getLastAllocated () { return this._last }

  /** @param {number} id */
  register (id) {
    if (!(id >= 1 && id <= 65535) || this._isUsed(id)) return false
    this._bits[id >>> 5] |= 1 << (id & 31)
    this._count++
    return true
  }

  /** @param {number} id */
  deallocate (id) {
    if (!(id >= 1 && id <= 65535) || !this._isUsed(id)) return
    this._bits[id >>> 5] &= ~(1 << (id & 31))
    this._count--
    if (id >>> 5 < this._low) this._low = id >>> 5
  }

  clear () {
    this._bits.fill(0)
    this._bits[0] = 1
    this._low = 0
    this._count = 0
  }

  /** @param {number} id */
  _isUsed (id) { return (this._bits[id >>> 5] & (1 << (id & 31))) !== 0 }
}

module.exports = { DefaultMessageIdProvider, UniqueMessageIdProvider }
