'use strict'

// What `mqtt pub` and `mqtt sub` share: the connection flags, turning them into
// mqtt.connect options, help text, and how failures are reported (one line on stderr and a
// non-zero exit code, never a stack trace).

const fs = require('fs')
const path = require('path')
const { intOption, UsageError } = require('./args')

const CONNECTION_VALUES = {
  '-h': 'hostname',
  '--hostname': 'hostname',
  '--host': 'hostname',
  '-p': 'port',
  '--port': 'port',
  '-i': 'clientId',
  '--client-id': 'clientId',
  '--clientId': 'clientId',
  '--id': 'clientId',
  '-q': 'qos',
  '--qos': 'qos',
  '-t': 'topic',
  '--topic': 'topic',
  '-u': 'username',
  '--username': 'username',
  '-P': 'password',
  '--password': 'password',
  '-C': 'protocol',
  '-l': 'protocol',
  '--protocol': 'protocol',
  '-V': 'protocolVersion',
  '--protocol-version': 'protocolVersion',
  '-D': 'userProperty',
  '--user-property': 'userProperty',
  '--key': 'key',
  '--cert': 'cert',
  '--ca': 'ca',
  '--cafile': 'ca',
  '--will-topic': 'willTopic',
  '--will-payload': 'willPayload',
  '--will-message': 'willPayload',
  '--will-qos': 'willQos'
}
const CONNECTION_BOOLEANS = { '--insecure': 'insecure', '--will-retain': 'willRetain', '-H': 'help', '--help': 'help' }

/** Prints bin/help/<name>.txt to stdout (or stderr). @param {string} name @param {boolean} [toStderr] */
function printHelp (name, toStderr) {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', 'bin', 'help', `${name}.txt`), 'utf8')
  ;(toStderr ? process.stderr : process.stdout).write(text)
}

/** @param {string} file @param {string} flag */
function readFile (file, flag) {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw new UsageError(`cannot read the ${flag} file '${file}': ${err.code || err.message}`)
  }
}

/**
 * mqtt.connect options from the parsed flags.
 * @param {Record<string, any>} o
 */
function connectOptions (o) {
  const version = o.protocolVersion === undefined ? 4 : intOption(o.protocolVersion, '--protocol-version', 3, 5)
  const opts = {
    host: o.hostname || 'localhost',
    port: intOption(o.port, '--port', 1, 65535),
    protocolVersion: version,
    reconnectPeriod: 0,
    connectTimeout: 10000
  }
  if (o.protocol !== undefined) {
    if (!['mqtt', 'mqtts', 'ws', 'wss', 'tcp', 'ssl', 'tls'].includes(o.protocol)) {
      throw new UsageError(`--protocol must be mqtt, mqtts, ws or wss, not '${o.protocol}'`)
    }
    opts.protocol = o.protocol
  }
  if (o.clientId !== undefined) opts.clientId = o.clientId
  if (o.username !== undefined) opts.username = o.username
  if (o.password !== undefined) opts.password = o.password
  if (o.key) opts.key = readFile(o.key, '--key')
  if (o.cert) opts.cert = readFile(o.cert, '--cert')
  if (o.ca) opts.ca = readFile(o.ca, '--ca')
  if (opts.key && opts.cert && !opts.protocol) opts.protocol = 'mqtts'
  if (o.insecure) opts.rejectUnauthorized = false
  if (o.willTopic) {
    opts.will = {
      topic: o.willTopic,
      payload: o.willPayload || '',
      qos: intOption(o.willQos, '--will-qos', 0, 2) || 0,
      retain: !!o.willRetain
    }
  } else if (o.willPayload !== undefined || o.willQos !== undefined || o.willRetain) {
    throw new UsageError('the will flags need --will-topic')
  }
  if (opts.port === undefined) delete opts.port
  return opts
}

/**
 * `-D key=value` flags as MQTT 5 user properties.
 * @param {string[] | undefined} list @param {number} version
 */
function userProperties (list, version) {
  if (!list) return undefined
  if (version !== 5) throw new UsageError('--user-property needs --protocol-version 5')
  /** @type {Record<string, string | string[]>} */
  const props = {}
  for (const item of list) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new UsageError(`--user-property takes KEY=VALUE, not '${item}'`)
    const k = item.slice(0, eq)
    const v = item.slice(eq + 1)
    const prev = props[k]
    props[k] = prev === undefined ? v : [].concat(prev, v)
  }
  return props
}

/** One clear line for a failed connection or operation. @param {any} err @param {any} opts */
function describe (err, opts) {
  const where = `${opts.host}:${opts.port || (opts.protocol === 'mqtts' ? 8883 : 1883)}`
  const code = err && err.code
  if (code === 'ECONNREFUSED') return `cannot connect to ${where}: connection refused (is a broker running there?)`
  if (code === 'ENOTFOUND') return `cannot connect to ${where}: host not found`
  if (code === 'ETIMEDOUT') return `cannot connect to ${where}: timed out`
  if (typeof code === 'number') return `the broker at ${where} refused the connection: ${err.message} (code ${code})`
  return `${err && err.message ? err.message : String(err)}${code ? ` (${code})` : ''}`
}

/** Reports a failure and exits. @param {string} command @param {string} message @param {number} [status] */
function fail (command, message, status = 1) {
  process.stderr.write(`mqtt ${command}: ${message}\n`)
  process.exit(status)
}

module.exports = { CONNECTION_VALUES, CONNECTION_BOOLEANS, printHelp, connectOptions, userProperties, describe, fail }
