'use strict'

// `mqtt subscribe|sub [opts] [topic...]`: prints each message on its own line (the topic
// first with -v), until interrupted or, with -n N, after N messages.

const { parseArgs, intOption, UsageError } = require('./args')
const { CONNECTION_VALUES, CONNECTION_BOOLEANS, printHelp, connectOptions, userProperties, describe, fail } = require('./common')

const SPEC = {
  values: { ...CONNECTION_VALUES, '-k': 'keepalive', '--keepalive': 'keepalive', '-n': 'count', '--count': 'count' },
  booleans: { ...CONNECTION_BOOLEANS, '-v': 'verbose', '--verbose': 'verbose', '-c': 'clean', '--clean': 'clean' },
  repeat: ['topic', 'userProperty']
}

/** @param {string[]} argv @param {any} mqtt */
async function subscribe (argv, mqtt) {
  let opts
  let topics
  let subOpts
  let count
  let verbose
  try {
    const o = parseArgs(argv, SPEC)
    if (o.opts.help) return printHelp('subscribe')
    opts = connectOptions(o.opts)
    topics = [...(o.opts.topic || []), ...o.positional]
    if (topics.length === 0) throw new UsageError('missing topic (-t TOPIC or an argument)')
    opts.clean = o.opts.clean !== false
    if (!opts.clean && !opts.clientId) throw new UsageError('--no-clean needs a client id (-i ID)')
    const keepalive = intOption(o.opts.keepalive, '--keepalive', 0, 65535)
    opts.keepalive = keepalive === undefined ? 30 : keepalive
    count = intOption(o.opts.count, '--count', 1, 2 ** 31)
    verbose = !!o.opts.verbose
    subOpts = { qos: intOption(o.opts.qos, '--qos', 0, 2) || 0 }
    const props = userProperties(o.opts.userProperty, opts.protocolVersion)
    if (props) subOpts.properties = { userProperties: props }
  } catch (err) {
    if (err instanceof UsageError) fail('subscribe', `${err.message}\nSee 'mqtt help subscribe'.`, 2)
    throw err
  }
  const client = mqtt.connect(opts)
  client.on('error', (err) => fail('subscribe', describe(err, opts)))
  let got = 0
  client.on('message', (topic, payload) => {
    process.stdout.write(verbose ? `${topic} ${payload.toString()}\n` : `${payload.toString()}\n`)
    if (count !== undefined && ++got === count) {
      client.end(() => process.stdout.write('', () => process.exit(0)))
    }
  })
  client.on('connect', () => {
    client.subscribe(topics, subOpts, (err, granted) => {
      if (err) return fail('subscribe', describe(err, opts))
      for (const g of granted || []) {
        if (g.qos > 2) fail('subscribe', `the broker refused the subscription to '${g.topic}' (code ${g.qos})`)
      }
    })
  })
  // As MQTT.js's `mqtt sub`, which dies of the signal: exit 128 + signal number (130 for
  // SIGINT), after a clean DISCONNECT.
  const stop = (/** @type {number} */ code) => () => client.end(() => process.exit(code))
  process.once('SIGINT', stop(130))
  process.once('SIGTERM', stop(143))
}

module.exports = { subscribe }
