// @ts-check
'use strict'

// Argument checks done before anything reaches the native side, so a bad call gets an
// error through its callback (MQTT.js's behaviour) rather than a throw.

/** @param {any} topic @param {any} [alias] @returns {Error | null} */
function validateTopic (topic, alias) {
  if (typeof topic !== 'string') return new Error('Invalid topic')
  if (topic.length === 0 && !alias) return new Error('Invalid topic: a topic name must not be empty')
  if (topic.includes('+') || topic.includes('#')) return new Error(`Invalid topic: wildcards are not allowed in topic names: ${topic}`)
  return null
}

/** @param {any} filter @returns {Error | null} */
function validateFilter (filter) {
  if (typeof filter !== 'string' || filter.length === 0) return new Error(`Invalid topic ${filter}`)
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return new Error(`Invalid topic ${filter}`)
    if (l.includes('+') && l !== '+') return new Error(`Invalid topic ${filter}`)
  }
  return null
}

module.exports = { validateTopic, validateFilter }
