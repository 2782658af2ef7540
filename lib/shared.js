// @ts-check
'use strict'

// Helpers MQTT.js exports from its lib/shared: `applyMixin` (copies a class's prototype
// members, its ancestors' first, onto another class) and `nextTick`.

/**
 * @param {Function} target @param {Function} mixin @param {boolean} [includeConstructor]
 */
function applyMixin (target, mixin, includeConstructor = false) {
  /** @type {any[]} */
  const chain = [mixin]
  for (;;) {
    const base = Object.getPrototypeOf(chain[0])
    if (!base?.prototype) break
    chain.unshift(base)
  }
  for (const ctor of chain) {
    for (const name of Object.getOwnPropertyNames(ctor.prototype)) {
      if (!includeConstructor && name === 'constructor') continue
      const desc = Object.getOwnPropertyDescriptor(ctor.prototype, name) ?? Object.create(null)
      Object.defineProperty(target.prototype, name, desc)
    }
  }
}

const nextTick = process.nextTick

module.exports = { applyMixin, nextTick }
