'use strict'

// The `mqtt` command: publish|pub, subscribe|sub, version, help [command], broker.

const path = require('path')
const { printHelp, fail } = require('./common')
const { parseArgs, intOption, UsageError } = require('./args')

const COMMANDS = { publish: 'publish', pub: 'publish', subscribe: 'subscribe', sub: 'subscribe', version: 'version', '--version': 'version', '-v': 'version', help: 'help', broker: 'broker' }

/** @param {string[]} argv */
function broker (argv) {
  let host
  let port
  try {
    const o = parseArgs(argv, { values: { '-p': 'port', '--port': 'port', '-h': 'host', '--hostname': 'host', '--host': 'host' }, booleans: { '-H': 'help', '--help': 'help' } })
    if (o.opts.help) return printHelp('broker')
    if (o.positional.length > 0) throw new UsageError(`unexpected argument '${o.positional[0]}'`)
    host = o.opts.host || '127.0.0.1'
    port = o.opts.port === undefined ? 1883 : intOption(o.opts.port, '--port', 0, 65535)
  } catch (err) {
    if (err instanceof UsageError) fail('broker', `${err.message}\nSee 'mqtt help broker'.`, 2)
    throw err
  }
  const { createBroker } = require(path.join(__dirname, '..', '..', 'examples', 'broker.js'))
  const server = createBroker({ log: (line) => process.stdout.write(`${line}\n`) })
  server.on('error', (err) => fail('broker', `cannot listen on ${host}:${port}: ${err.code || err.message}`))
  server.listen(port, host, () => {
    const a = server.address()
    process.stdout.write(`mqtt-napi DEVELOPMENT broker (a demo, not for production) listening on ${a.address}:${a.port}\n`)
  })
  const stop = () => server.close(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** @param {string[]} argv */
async function main (argv) {
  const [name, ...rest] = argv
  const command = COMMANDS[name]
  if (!command) {
    if (name === undefined || name === '-H' || name === '--help') return printHelp('help')
    process.stderr.write(`mqtt: no such command: ${name}\n\n`)
    printHelp('help', true)
    process.exit(2)
  }
  if (command === 'help') {
    const topic = COMMANDS[rest[0]]
    return printHelp(topic && topic !== 'help' ? topic : 'help')
  }
  if (command === 'version') {
    const mqtt = require('../..')
    const own = require('../../package.json').version
    process.stdout.write(`MQTT.js version: ${mqtt.MQTTJS_VERSION}\nmqtt-napi version: ${own}\n`)
    return
  }
  if (command === 'broker') return broker(rest)
  const mqtt = require('../..')
  if (command === 'publish') return require('./pub').publish(rest, mqtt)
  return require('./sub').subscribe(rest, mqtt)
}

/** Runs the command; anything unexpected becomes one line on stderr, not a stack trace. @param {string[]} argv */
function run (argv) {
  main(argv).catch((err) => fail(argv[0] || 'mqtt', err && err.message ? err.message : String(err)))
}

module.exports = { run }
