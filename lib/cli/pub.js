'use strict'

// `mqtt publish|pub [opts] topic [message]`

const { parseArgs, intOption, UsageError } = require('./args')
const { CONNECTION_VALUES, CONNECTION_BOOLEANS, printHelp, connectOptions, userProperties, describe, fail } = require('./common')

const SPEC = {
  values: { ...CONNECTION_VALUES, '-m': 'message', '--message': 'message' },
  booleans: { ...CONNECTION_BOOLEANS, '-r': 'retain', '--retain': 'retain', '-s': 'stdin', '--stdin': 'stdin', '-M': 'multiline', '--multiline': 'multiline' },
  repeat: ['userProperty']
}

/** @param {NodeJS.ReadableStream} stream @returns {Promise<Buffer>} */
function readAll (stream) {
  return new Promise((resolve, reject) => {
    const chunks = []
    stream.on('data', (c) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

/** Each line of the stream, without its line ending; a last line without one counts too. */
async function * lines (stream) {
  let rest = ''
  for await (const chunk of stream) {
    rest += chunk.toString()
    let nl
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, '')
      rest = rest.slice(nl + 1)
    }
  }
  if (rest.length > 0) yield rest.replace(/\r$/, '')
}

/** @param {string[]} argv @param {any} mqtt */
async function publish (argv, mqtt) {
  let opts
  let topic
  let message
  let pubOpts
  let o
  try {
    o = parseArgs(argv, SPEC)
    if (o.opts.help) return printHelp('publish')
    opts = connectOptions(o.opts)
    topic = o.opts.topic !== undefined ? o.opts.topic : o.positional.shift()
    message = o.opts.message !== undefined ? o.opts.message : o.positional.shift()
    if (!topic) throw new UsageError('missing topic (-t TOPIC or the first argument)')
    if (/[+#]/.test(topic)) throw new UsageError(`cannot publish to a topic with wildcards: '${topic}'`)
    if (o.positional.length > 0) throw new UsageError(`unexpected argument '${o.positional[0]}'`)
    pubOpts = { qos: intOption(o.opts.qos, '--qos', 0, 2) || 0, retain: !!o.opts.retain }
    const props = userProperties(o.opts.userProperty, opts.protocolVersion)
    if (props) pubOpts.properties = { userProperties: props }
    if ((o.opts.stdin || o.opts.multiline) && message !== undefined) throw new UsageError('give the message with -m or on stdin (-s/-M), not both')
  } catch (err) {
    if (err instanceof UsageError) {
      fail('publish', `${err.message}\nSee 'mqtt help publish'.`, 2)
    }
    throw err
  }
  const client = mqtt.connect(opts)
  client.on('error', (err) => fail('publish', describe(err, opts)))
  await new Promise((resolve) => client.once('connect', resolve))
  const send = (payload) => client.publishAsync(topic, payload, pubOpts)
  try {
    if (o.opts.multiline) {
      for await (const line of lines(process.stdin)) await send(line)
    } else if (o.opts.stdin) {
      await send(await readAll(process.stdin))
    } else {
      await send(message === undefined ? '' : message)
    }
  } catch (err) {
    fail('publish', describe(err, opts))
  }
  await client.endAsync()
}

module.exports = { publish }
