'use strict'

// Command-line flags for the `mqtt` command: a small parser with MQTT.js's flag names.
// Unknown flags and missing values are usage errors (exit code 2), never silently ignored.

class UsageError extends Error {}

/**
 * @param {string[]} argv
 * @param {{ values: Record<string, string>, booleans: Record<string, string>, repeat?: string[] }} spec
 *   flag spelling (with dashes) -> option name; `repeat`: option names that collect arrays
 * @returns {{ opts: Record<string, any>, positional: string[] }}
 */
function parseArgs (argv, spec) {
  const opts = {}
  const positional = []
  const repeat = new Set(spec.repeat || [])
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (arg.length < 2 || arg[0] !== '-') {
      positional.push(arg)
      continue
    }
    let flag = arg
    let inline
    const eq = arg.indexOf('=')
    if (arg.startsWith('--') && eq > 0) {
      flag = arg.slice(0, eq)
      inline = arg.slice(eq + 1)
    }
    if (flag.startsWith('--no-') && spec.booleans[`--${flag.slice(5)}`]) {
      opts[spec.booleans[`--${flag.slice(5)}`]] = false
      continue
    }
    if (spec.booleans[flag]) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`)
      opts[spec.booleans[flag]] = true
      continue
    }
    const name = spec.values[flag]
    if (!name) throw new UsageError(`unknown option ${flag}`)
    let value = inline
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`)
      value = argv[++i]
    }
    if (repeat.has(name)) (opts[name] = opts[name] || []).push(value)
    else opts[name] = value
  }
  return { opts, positional }
}

/** @param {string | undefined} v @param {string} flag @param {number} min @param {number} max */
function intOption (v, flag, min, max) {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not '${v}'`)
  }
  return Number(v)
}

module.exports = { parseArgs, intOption, UsageError }
