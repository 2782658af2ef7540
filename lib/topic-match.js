// @ts-check
'use strict'

/**
 * Whether a topic name matches a topic filter (`+` one level, `#` the rest, and neither
 * matching a `$` topic from the first level, as brokers do).
 * @param {string} filter @param {string} topic
 */
function topicMatches (filter, topic) {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

module.exports = { topicMatches }
