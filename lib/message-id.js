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

/** Hands out the lowest free id, never one in use. */
class UniqueMessageIdProvider {
  constructor () {
    /** @type {Set<number>} */
    this._used = new Set()
    this._last = null
  }

  allocate () {
    if (this._used.size >= 65535) return null
    let id = 1
    while (this._used.has(id)) id++
    this._used.add(id)
    this._last = id
    return id
  }

  getLastAllocated () { return this._last }

  /** @param {number} id */
  register (id) {
    if (this._used.has(id)) return false
    this._used.add(id)
    return true
  }

  /** @param {number} id */
  deallocate (id) { this._used.delete(id) }
  clear () { this._used.clear() }
}

module.exports = { DefaultMessageIdProvider, UniqueMessageIdProvider }
