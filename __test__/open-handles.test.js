'use strict'

// The test runners users run this package under (issue 30): a suite that connects,
// publishes, receives and ends its clients gets no open-handle report from jest's
// --detectOpenHandles, no "Failed to exit" from ava (worker threads and child processes),
// and exits at once under node:test's default runner. Each control (a client never ended)
// shows the runner does see a live client. Passes on MQTT.js too (MQTT_IMPL=mqtt), but for
// jest's control, which cannot see MQTT.js's client.
const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { startBroker } = require('./helpers/broker')
const { upstream, nodeOnly } = require('./helpers/impl')

const ROOT = path.join(__dirname, '..')
const RUNNERS = path.join(__dirname, 'runners')
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js')
const AVA = path.join(ROOT, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')

// Each runner here is run by Node (process.execPath): on Bun and Deno every test is skipped.
const offNode = nodeOnly('runs jest, ava and node:test with this Node')
/** node:test's `test`, skipped off Node. */
const check = (name, opts, fn) => test(name, { ...opts, skip: opts.skip || offNode }, fn)

let broker
test.before(async () => {
  broker = await startBroker()
})
test.after(async () => {
  await broker?.stop()
})

/** Runs `args` with this Node; resolves { code, out } (stdout and stderr together; code
 * 'killed' when it ran out of time). */
function run (args, env = {}, timeout = 60_000) {
  return new Promise((resolve) => {
    // Not a subtest of this file's runner: a fresh run.
    const { NODE_TEST_CONTEXT, ...outer } = process.env
    execFile(process.execPath, args, {
      cwd: ROOT,
      timeout,
      env: { ...outer, RUNNER_PORT: String(broker.port), NO_COLOR: '1', FORCE_COLOR: '0', ...env }
    }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.killed ? 'killed' : err.code) : 0, out: `${stdout}\n${stderr}` })
    })
  })
}

const jestArgs = ['--rootDir', RUNNERS, '--runTestsByPath', path.join(RUNNERS, 'jest.spec.js'), '--detectOpenHandles', '--ci', '--watchman=false']

check('jest --detectOpenHandles reports nothing after endAsync(), end(cb) and end(true, cb)', { timeout: 120_000 }, async () => {
  const r = await run([JEST, ...jestArgs])
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, /Tests:\s+3 passed, 3 total/, r.out)
  assert.doesNotMatch(r.out, /open handle/i, r.out)
})

check('control: jest --detectOpenHandles reports a client never ended', { timeout: 120_000, skip: upstream && 'jest leaves TCP sockets (TCPWRAP) out, and MQTT.js has no other handle to show' }, async () => {
  const r = await run([JEST, ...jestArgs, '--forceExit'], { RUNNER_LEFT_OPEN: '1' })
  assert.match(r.out, /Tests:\s+1 passed, 1 total/, r.out)
  assert.match(r.out, /detected the following \d+ open handles? potentially keeping/, r.out)
})

for (const threads of [true, false]) {
  const mode = threads ? 'worker threads' : 'child processes'
  const avaArgs = [AVA, path.join('__test__', 'runners', 'ava.spec.js'), threads ? '--worker-threads' : '--no-worker-threads']

  check(`ava (${mode}) exits cleanly after endAsync(), end(cb) and end(true, cb)`, { timeout: 120_000 }, async () => {
    const r = await run(avaArgs)
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /3 tests passed/, r.out)
    assert.doesNotMatch(r.out, /Failed to exit|Timed out/, r.out)
  })

  check(`control: ava (${mode}) says a file with a client never ended fails to exit`, { timeout: 120_000 }, async () => {
    const r = await run(avaArgs, { RUNNER_LEFT_OPEN: '1' })
    assert.match(r.out, /Failed to exit/, r.out)
  })
}

check('node:test\'s default runner ends at once, with no warning, after the clients end', { timeout: 120_000 }, async () => {
  const r = await run(['--test', '--test-reporter=tap', path.join(RUNNERS, 'node-test.spec.js')])
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, /# pass 3/, r.out)
  assert.match(r.out, /# fail 0/, r.out)
  assert.doesNotMatch(r.out, /Warning|open handle|still running/i, r.out)
  // The file itself, run directly: its process exits when its tests are done.
  const direct = await run([path.join(RUNNERS, 'node-test.spec.js')], {}, 20_000)
  assert.equal(direct.code, 0, direct.out)
})

check('control: a file whose client is never ended does not exit by itself', { timeout: 60_000 }, async () => {
  const r = await run([path.join(RUNNERS, 'node-test.spec.js')], { RUNNER_LEFT_OPEN: '1' }, 5_000)
  assert.equal(r.code, 'killed', r.out)
})
