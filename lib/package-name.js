'use strict'

// The name this package is installed under, read from where it sits: `mqtt` when installed
// as mqtt@npm:mqtt-napi, `mqtt-napi` otherwise (or in a checkout). `npm rebuild` takes
// that name, so advice printed to users must use it.

const path = require('path')

function installedName (root) {
  const parts = path.resolve(root).split(path.sep)
  const at = parts.lastIndexOf('node_modules')
  if (at < 0 || at >= parts.length - 1) return 'mqtt-napi'
  const first = parts[at + 1]
  // A scoped install (@scope/name) takes two path parts.
  return first.startsWith('@') && at + 2 < parts.length ? `${first}/${parts[at + 2]}` : first
}

module.exports = { installedName }
