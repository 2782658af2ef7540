// @ts-check
'use strict'

// MQTT.js 5.16's keepalive timer (its KeepaliveManager and get-timer), the one programs and
// their tests see: an interval of half the keepalive; the second tick without a reschedule
// sends a PINGREQ (`client.sendPing()`), the third is a timeout
// (`client.onKeepaliveTimeout()`). The client reschedules it on acks (with
// `reschedulePings`) and on every PINGRESP. The timer functions are looked up when used, so
// fake timers installed later (sinon, jest) drive it, as they drive MQTT.js's.
//
// The native session backs it up (src/session/keepalive.rs, PingPolicy::Backstop): when
// this timer is late because the JS thread is blocked, the I/O thread pings and times out.

/**
 * @typedef {{ set: (fn: () => void, ms: number) => any, clear: (id: any) => void }} Timer
 * @typedef {'auto' | 'worker' | 'native'} TimerVariant
 */

/** @type {Timer} */
const nativeTimer = {
  set: (fn, ms) => setInterval(fn, ms),
  clear: (id) => clearInterval(id)
}

/**
 * MQTT.js's timer for a variant. On Node every variant is the native one ('worker' needs a
 * browser's Worker).
 * @param {TimerVariant} [_variant]
 * @returns {Timer}
 */
function getTimer (_variant) {
  return nativeTimer
}

const MAX_KEEPALIVE_MS = 2147483647

/** @param {KeepaliveManager} m */
function endTurn (m) {
  m._inTurn = false
  if (m._again) {
    m._again = false
    if (!m.destroyed) m._restart()
  }
}

class KeepaliveManager {
  /**
   * @param {any} client the MqttClient (keepalive, sendPing, onKeepaliveTimeout, log)
   * @param {TimerVariant | Timer} [variant]
   */
  constructor (client, variant) {
    this.client = client
    /** @type {Timer} */
    this.timer = variant !== null && typeof variant === 'object' && 'set' in variant && 'clear' in variant
      ? variant
      : getTimer(variant)
    this.destroyed = false
    this.counter = 0
    this.timerId = null
    this._keepalive = 0
    this._keepaliveTimeoutTimestamp = 0
    this._intervalEvery = 0
    // MQTT.js 5.16 reads the client's `keepalive` getter; 5.14 and its tests' stand-in
    // clients have only `options.keepalive`.
    this.setKeepalive(client.keepalive ?? client.options?.keepalive)
  }

  /** Timestamp (ms) of the next keepalive timeout. */
  get keepaliveTimeoutTimestamp () { return this._keepaliveTimeoutTimestamp }

  /** Milliseconds between two ticks (half the keepalive). */
  get intervalEvery () { return this._intervalEvery }

  /** The keepalive in milliseconds. */
  get keepalive () { return this._keepalive }

  /**
   * Changes the keepalive (seconds) and restarts the timer.
   * @param {number} value
   */
  setKeepalive (value) {
    const ms = value * 1000
    if (Number.isNaN(ms) || ms <= 0 || ms > MAX_KEEPALIVE_MS) {
      throw new Error(`Keepalive value must be an integer between 0 and 2147483647. Provided value is ${ms}`)
    }
    this._keepalive = ms
    this.reschedule()
    this.client.log?.(`KeepaliveManager: set keepalive to ${ms}ms`)
  }

  /** Stops the timer for good. */
  destroy () {
    this.clear()
    this.destroyed = true
  }

  /**
   * Starts counting again from now: the next ping is one keepalive away. The client calls
   * it for every ack; within one turn of the event loop the timer is restarted by the first
   * call and, if more came, once more at the end of the turn (no tick can fall in between),
   * rather than once per ack.
   */
  reschedule () {
    if (this.destroyed) return
    this.counter = 0
    this._keepaliveTimeoutTimestamp = Date.now() + Math.ceil(this._keepalive * 1.5)
    this._intervalEvery = Math.ceil(this._keepalive / 2)
    if (this._inTurn) {
      this._again = true
      return
    }
    this._restart()
    this._inTurn = true
    process.nextTick(endTurn, this)
  }

  _restart () {
    this.clear()
    this.timerId = this.timer.set(() => this._tick(), this._intervalEvery)
  }

  _tick () {
    if (this.destroyed) return
    this.counter += 1
    if (this.counter === 2) this.client.sendPing()
    else if (this.counter > 2) {
      // After the JS thread was blocked, this overdue tick can come before the events the
      // native side queued meanwhile (timers run first in libuv's loop): a PINGRESP among
      // them restarts the count, so they are taken in first (mqtt-napi's client only).
      this.client._beforeKeepaliveTimeout?.()
      if (!this.destroyed && this.counter > 2) this.client.onKeepaliveTimeout()
    }
  }

  /** Stops the timer (MQTT.js private). */
  clear () {
    if (this.timerId) {
      this.timer.clear(this.timerId)
      this.timerId = null
    }
  }
}

module.exports = { KeepaliveManager, getTimer }
