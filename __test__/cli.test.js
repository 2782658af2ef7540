'use strict'

// The `mqtt` command, spawned as a child process against a real Mosquitto.
// MQTT_IMPL=mqtt runs the same tests on MQTT.js's CLI, except where marked (its defects).

const test = require('node:test')
const { sleep } = require('./helpers/wait')
const assert = require('node:assert')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const { startBroker } = require('./helpers/broker')
const { upstream } = require('./helpers/impl')

const root = path.join(__dirname, '..')
const OURS = path.join(root, 'bin', 'mqtt.js')
const THEIRS = path.join(root, 'node_modules', 'mqtt', 'build', 'bin', 'mqtt.js')
const CLI = upstream ? THEIRS : OURS


let broker
test.before(async () => { broker = await startBroker() })
test.after(async () => { await broker.stop() })

const conn = () => ['-h', '127.0.0.1', '-p', String(broker.port)]

/** Runs a command to its end. */
function run (args, { input, cli = CLI } = {}) {
  return spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', timeout: 20000 })
}

/**
 * Starts `mqtt sub`, waits until it receives (a probe proves the subscription is in
 * place), and returns { lines(n), stop() }.
 */
async function subscriber (args, { cli = CLI, probeTopic } = {}) {
  const child = spawn(process.execPath, [cli, 'sub', ...conn(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  const all = () => out.split('\n').filter((l) => l.length > 0)
  if (probeTopic) {
    for (let i = 0; ; i++) {
      if (i === 100) throw new Error(`subscriber never received a probe: ${err}`)
      run(['pub', ...conn(), '-t', probeTopic, '-m', 'probe'], { cli: OURS })
      await sleep(50)
      if (all().length > 0) break
    }
  }
  const skip = all().length
  return {
    child,
    async lines (n, ms = 10000) {
      const end = Date.now() + ms
      while (all().length - skip < n && Date.now() < end) await sleep(20)
      return all().slice(skip)
    },
    async stop () {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      return { out, err }
    }
  }
}

test('sub receives what pub sends, with -v, at QoS 0, 1 and 2', async () => {
  const sub = await subscriber(['-t', 'cli/a/#', '-v', '-q', '2'], { probeTopic: 'cli/a/probe' })
  try {
    for (const qos of [0, 1, 2]) {
      const r = run(['pub', ...conn(), '-t', `cli/a/${qos}`, '-m', `hello ${qos}`, '-q', String(qos)])
      assert.strictEqual(r.status, 0, r.stderr)
    }
    // The positional form: topic then message.
    assert.strictEqual(run(['pub', ...conn(), 'cli/a/pos', 'positional words']).status, 0)
    assert.deepStrictEqual(await sub.lines(4), ['cli/a/0 hello 0', 'cli/a/1 hello 1', 'cli/a/2 hello 2', 'cli/a/pos positional words'])
  } finally {
    await sub.stop()
  }
})

test('pub -s sends the whole of stdin as one message; sub without -v prints payloads only', async () => {
  const sub = await subscriber(['cli/s/+'], { probeTopic: 'cli/s/probe' })
  try {
    const r = run(['pub', ...conn(), '-t', 'cli/s/x', '-s'], { input: 'line one\nline two' })
    assert.strictEqual(r.status, 0, r.stderr)
    assert.deepStrictEqual(await sub.lines(2), ['line one', 'line two'])
  } finally {
    await sub.stop()
  }
})

test('pub -M publishes each stdin line as a message', { skip: upstream && 'MQTT.js 5.16 -M publishes one empty message' }, async () => {
  const sub = await subscriber(['-t', 'cli/m', '-v'], { probeTopic: 'cli/m' })
  try {
    const r = run(['pub', ...conn(), '-t', 'cli/m', '-M', '-q', '1'], { input: 'first\nsecond\r\nthird' })
    assert.strictEqual(r.status, 0, r.stderr)
    assert.deepStrictEqual(await sub.lines(3), ['cli/m first', 'cli/m second', 'cli/m third'])
  } finally {
    await sub.stop()
  }
})

test('pub -r keeps the message: a later sub gets it at once', async () => {
  assert.strictEqual(run(['pub', ...conn(), '-t', 'cli/r', '-m', 'kept', '-r', '-q', '1']).status, 0)
  const sub = await subscriber(['-t', 'cli/r', '-v'])
  try {
    assert.deepStrictEqual(await sub.lines(1), ['cli/r kept'])
  } finally {
    await sub.stop()
    run(['pub', ...conn(), '-t', 'cli/r', '-m', '', '-r'])
  }
})

test('sub -n N exits by itself after N messages', { skip: upstream && 'an extension' }, async () => {
  const sub = await subscriber(['-t', 'cli/n', '-n', '3'], { probeTopic: 'cli/n' })
  // The probe was the first of the three.
  run(['pub', ...conn(), '-t', 'cli/n', '-m', 'two'])
  run(['pub', ...conn(), '-t', 'cli/n', '-m', 'three'])
  const code = await Promise.race([new Promise((resolve) => sub.child.on('exit', resolve)), sleep(10000).then(() => 'still running')])
  assert.strictEqual(code, 0)
  const { out } = await sub.stop()
  assert.deepStrictEqual(out.trim().split('\n').slice(-2), ['two', 'three'])
})

test('MQTT 5: -V 5 and -D user properties reach the subscriber', { skip: upstream && 'not in MQTT.js\'s CLI' }, async () => {
  const sub = await subscriber(['-t', 'cli/v5', '-V', '5', '-v'], { probeTopic: 'cli/v5' })
  try {
    const r = run(['pub', ...conn(), '-t', 'cli/v5', '-m', 'five', '-V', '5', '-D', 'unit=C', '-q', '1'])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.deepStrictEqual(await sub.lines(1), ['cli/v5 five'])
    const bad = run(['pub', ...conn(), '-t', 'cli/v5', '-m', 'x', '-D', 'unit=C'])
    assert.strictEqual(bad.status, 2)
    assert.match(bad.stderr, /--user-property needs --protocol-version 5/)
  } finally {
    await sub.stop()
  }
})

test('bad flags, a wildcard topic and unreadable TLS files: one line on stderr, exit code 2', { skip: upstream && 'MQTT.js 5.16 ignores unknown flags and throws on a missing file' }, () => {
  for (const [args, re] of [
    [['pub', '--bogus', '-t', 'a', '-m', 'b'], /unknown option --bogus/],
    [['pub', '-t', 'a', '-m', 'b', '-q', '3'], /--qos must be a whole number from 0 to 2/],
    [['pub', '-m', 'b'], /missing topic/],
    [['pub', '-t', 'a/#', '-m', 'b'], /wildcards/],
    [['pub', '-t', 'a', '-m', 'b', '-p', 'port'], /--port must be a whole number/],
    [['sub', '-t', 'a', '--ca', '/nonexistent/ca.pem'], /cannot read the --ca file '\/nonexistent\/ca.pem': ENOENT/],
    [['sub'], /missing topic/],
    [['frobnicate'], /no such command: frobnicate/]
  ]) {
    const r = run(args)
    assert.strictEqual(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr.split('\n')[0], re)
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
  }
})

test('an unreachable broker: one clear line on stderr and exit code 1', { skip: upstream && 'MQTT.js 5.16 dumps the error object and exits 0' }, async () => {
  const { freePort } = require('./helpers/broker')
  const port = await freePort()
  for (const cmd of ['pub', 'sub']) {
    const r = run([cmd, '-h', '127.0.0.1', '-p', String(port), '-t', 'a', ...(cmd === 'pub' ? ['-m', 'b'] : [])])
    assert.strictEqual(r.status, 1, r.stderr)
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`))
  }
})

test('a broker that refuses the connection: one clear line and exit code 1', { skip: upstream && 'MQTT.js 5.16 dumps the error object and exits 0' }, async () => {
  const strict = await startBroker(['allow_anonymous false'])
  try {
    const r = run(['pub', '-h', '127.0.0.1', '-p', String(strict.port), '-t', 'a', '-m', 'b'])
    assert.strictEqual(r.status, 1, r.stderr)
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /refused the connection: .*(authori[sz]ed).*\(code 5\)/i)
  } finally {
    await strict.stop()
  }
})

test('sub exits 130 on SIGINT, as MQTT.js\'s', async () => {
  const sub = await subscriber(['-t', 'cli/sigint'], { probeTopic: 'cli/sigint' })
  const exited = new Promise((resolve) => sub.child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal))))
  sub.child.kill('SIGINT')
  const code = await Promise.race([exited, sleep(10000).then(() => 'still running')])
  await sub.stop()
  assert.strictEqual(code, 130)
})

test('version and help print', () => {
  const v = run(['version'])
  assert.strictEqual(v.status, 0)
  assert.match(v.stdout, /^MQTT\.js version: 5\.\d+\.\d+$/m)
  const dashed = run(['--version'])
  assert.strictEqual(dashed.status, 0)
  assert.match(dashed.stdout, /^MQTT\.js version: 5\.\d+\.\d+$/m)
  if (!upstream) {
    // MQTT.js 5.16 answers -v with "No such command" (exit 0); the issue asks for the version.
    const short = run(['-v'])
    assert.strictEqual(short.status, 0)
    assert.match(short.stdout, /^MQTT\.js version: 5\.\d+\.\d+$/m)
  }
  const h = run(['help'])
  assert.strictEqual(h.status, 0)
  assert.match(h.stdout, /publish/)
  assert.match(h.stdout, /subscribe/)
  for (const cmd of ['publish', 'subscribe']) {
    const r = run(['help', cmd])
    assert.strictEqual(r.status, 0)
    assert.match(r.stdout, new RegExp(`Usage: mqtt ${cmd} \\[opts\\]`))
    assert.match(r.stdout, /-h\/--hostname HOST/)
  }
})

test('the same session gives the same output from MQTT.js\'s CLI and ours, line for line', { skip: upstream && 'compares both already' }, async () => {
  const outputs = []
  for (const cli of [THEIRS, OURS]) {
    const sub = await subscriber(['-t', 'cli/same/#', '-v', '-q', '1'], { cli, probeTopic: 'cli/same/probe' })
    try {
      run(['pub', ...conn(), '-t', 'cli/same/a', '-m', 'x y z'], { cli })
      run(['pub', ...conn(), '-t', 'cli/same/b', '-m', '21.5', '-q', '1'], { cli })
      run(['pub', ...conn(), '-t', 'cli/same/c', '-s'], { cli, input: 'from stdin' })
      outputs.push(await sub.lines(3))
    } finally {
      await sub.stop()
    }
  }
  assert.deepStrictEqual(outputs[1], outputs[0])
  assert.deepStrictEqual(outputs[0], ['cli/same/a x y z', 'cli/same/b 21.5', 'cli/same/c from stdin'])
})

test('mqtt broker starts the development broker, which pub and sub can use', { skip: upstream && 'not in MQTT.js\'s CLI' }, async () => {
  const { freePort } = require('./helpers/broker')
  const port = await freePort()
  const child = spawn(process.execPath, [OURS, 'broker', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  try {
    for (let i = 0; i < 100 && !out.includes('listening'); i++) await sleep(50)
    assert.match(out, /DEVELOPMENT broker \(a demo, not for production\) listening on 127\.0\.0\.1:\d+/)
    const sub = spawn(process.execPath, [OURS, 'sub', '-h', '127.0.0.1', '-p', String(port), '-t', 'dev/+', '-n', '1', '-v'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let subOut = ''
    sub.stdout.on('data', (d) => { subOut += d })
    const subExit = new Promise((resolve) => sub.on('exit', resolve))
    for (let i = 0; i < 100 && !subOut; i++) {
      run(['pub', '-h', '127.0.0.1', '-p', String(port), '-t', 'dev/x', '-m', 'local'], { cli: OURS })
      await sleep(50)
    }
    assert.strictEqual(await subExit, 0)
    assert.strictEqual(subOut, 'dev/x local\n')
  } finally {
    child.kill('SIGTERM')
  }
})
