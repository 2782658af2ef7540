'use strict'

// Runs a script of an embedded runtime on Node in a child process, with a `-r` module
// giving it the runtime's globals, and watches what it prints. The script's text is given
// (a documentation sample with its host names, certificates and timers substituted).

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/**
 * @param {string} source the script @param {string} register the module for `-r`
 * @returns {{ lines: string[], waitFor: (re: RegExp, ms: number, from?: number) => Promise<number>,
 *   count: (re: RegExp) => number, stop: () => Promise<void>, exitCode: () => number | null }}
 */
function runScript (source, register) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-script-'))
  // .cjs: Deno takes a bare .js outside a package for ESM, with no require().
  const file = path.join(dir, 'script.cjs')
  fs.writeFileSync(file, source)
  // Deno's command line names the preload `--require` (its `-r` is --reload).
  const args = typeof process.versions.deno === 'string' ? ['run', '-A', '--require', register, file] : ['-r', register, file]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines = []
  /** @type {Array<() => void>} */
  let waiters = []
  const take = (stream) => {
    let rest = ''
    stream.on('data', (d) => {
      rest += d
      const parts = rest.split('\n')
      rest = parts.pop()
      lines.push(...parts)
      const w = waiters
      waiters = []
      for (const f of w) f()
    })
  }
  take(child.stdout)
  take(child.stderr)
  const exited = new Promise((resolve) => child.on('exit', () => {
    const w = waiters
    waiters = []
    for (const f of w) f()
    resolve()
  }))
  /** Resolves with the index of the first line from `from` on matching `re`. */
  function waitFor (re, ms, from = 0) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; the script printed:\n${lines.join('\n')}`)), ms)
      const check = () => {
        const i = lines.findIndex((l, k) => k >= from && re.test(l))
        if (i >= 0) {
          clearTimeout(timer)
          resolve(i)
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer)
          reject(new Error(`the script exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${lines.join('\n')}`))
        } else {
          waiters.push(check)
        }
      }
      check()
    })
  }
  return {
    lines,
    waitFor,
    count: (re) => lines.filter((l) => re.test(l)).length,
    exitCode: () => child.exitCode,
    async stop () {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

module.exports = { runScript }
