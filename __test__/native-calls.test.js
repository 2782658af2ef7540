'use strict'

// The raw Node-API calls the client makes per message (src/binding/fast_calls.rs): wrong
// arguments throw a JS error with a code, never crash the process; ended handles are inert.

const test = require('node:test')
const assert = require('node:assert')
const impl = require('./helpers/impl')

const skip = impl.upstream && 'native internals of mqtt-napi'

test('per-message calls refuse wrong arguments with a coded error', { skip }, () => {
  const { fast } = require('../lib/native')
  const cases = [
    () => fast.clientPublish(),
    () => fast.clientPublish(1, 42, Buffer.alloc(1), 0, 0),
    () => fast.clientPublish(1, 't', 'not a buffer', 0, 0),
    () => fast.clientPublishTopic(1, 'x', Buffer.alloc(1), 0, 0),
    () => fast.clientSend(1, new Uint8Array(4), Buffer.alloc(0), Buffer.alloc(0)),
    // Deno's napi_get_value_uint32 converts a string (here to 0, a handle of no client: the
    // call is ignored) where Node refuses it.
    ...(impl.runtime === 'deno' ? [] : [() => fast.clientAck('h', 1, 1, 0)]),
    () => fast.topicId({}),
    () => fast.topicId('a/+/wildcards are not topic names')
  ]
  for (const call of cases) {
    assert.throws(call, (err) => typeof err.code === 'string' && err.code.length > 0, String(call))
  }
})

test('calls on a handle that names no client are refused or ignored', { skip }, () => {
  const { fast } = require('../lib/native')
  const id = fast.topicId('native/calls/t')
  assert.ok(id >= 0)
  assert.strictEqual(fast.topicId('native/calls/t') >= 0, true)
  assert.throws(() => fast.clientPublishTopic(987654, id, Buffer.from('x'), 1, 0), { code: 'ERR_MQTT_CLIENT_DISCONNECTED' })
  assert.throws(() => fast.clientPublishTopic(987654, 4000000, Buffer.from('x'), 1, 0), /topic id/)
  // Acks, completes and flushes for an ended client are dropped quietly.
  fast.clientAck(987654, 1, 1, 0)
  fast.clientComplete(987654, 1)
  fast.clientFlush(987654)
  assert.strictEqual(fast.clientWriteMark(987654), 0)
})
