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

/**
 * MQTT.js's public `validateTopic`: whether a topic filter is valid (`+` and `#` only as
 * whole levels, `#` only last).
 * @param {string} topic @returns {boolean}
 */
function isValidTopic (topic) {
  const levels = topic.split('/')
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]
    if (l === '+') continue
    if (l === '#') return i === levels.length - 1
    if (l.includes('+') || l.includes('#')) return false
  }
  return true
}

/**
 * MQTT.js's public `validateTopics`: the first invalid filter, 'empty_topic_list' for none,
 * or null when all are valid.
 * @param {string[]} topics @returns {string | null}
 */
function validateTopics (topics) {
  if (topics.length === 0) return 'empty_topic_list'
  for (const t of topics) {
    if (!isValidTopic(t)) return t
  }
  return null
}

/**
 * As MQTT.js's validateTopics: the first topic filter that is not valid, 'empty_topic_list',
 * or null. @param {any} topics an array or a map @returns {string | null}
 */
function firstInvalidFilter (topics) {
  if (topics == null || typeof topics !== 'object') return String(topics)
  const list = Array.isArray(topics) ? topics : Object.keys(topics)
  if (list.length === 0) return 'empty_topic_list'
  for (const t of list) {
    if (typeof t !== 'string' || validateFilter(t)) return String(t)
  }
  return null
}

module.exports = { validateTopic, validateFilter, firstInvalidFilter, isValidTopic, validateTopics }
