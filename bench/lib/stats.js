'use strict'

// Small helpers shared by the benchmarks: medians, ranges, ratio tables.

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function fmtRate (r) {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)} M/s`
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)} k/s`
  return `${r.toFixed(0)} /s`
}

/**
 * Runs `fns` (name -> function returning operations per second) alternately, A B A B, for
 * `rounds` rounds, and returns per name the list of rates.
 */
function alternate (fns, rounds) {
  const out = {}
  for (const name of Object.keys(fns)) out[name] = []
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(fns)) out[name].push(fn())
  }
  return out
}

/** Prints one table row per scenario: medians, min-max, and ours / theirs. */
function report (title, rows) {
  console.log(`\n${title}`)
  console.log('| scenario | mqtt-napi (median, min-max) | upstream (median, min-max) | ratio |')
  console.log('|---|---|---|---|')
  for (const r of rows) {
    const a = median(r.ours)
    const b = median(r.theirs)
    const range = (xs) => `${fmtRate(Math.min(...xs))}-${fmtRate(Math.max(...xs))}`
    console.log(`| ${r.name} | ${fmtRate(a)} (${range(r.ours)}) | ${fmtRate(b)} (${range(r.theirs)}) | ${(a / b).toFixed(2)}x |`)
  }
}

module.exports = { median, alternate, report, fmtRate }
