'use strict'

// A corpus of mqtt-packet packet objects, each with the options to encode it with: every
// packet type, every protocol level, and every MQTT 5 property where it is allowed.

const b = (s) => Buffer.from(s)

// One value per property, as mqtt-packet's generate expects it.
const PROPERTY_VALUES = {
  payloadFormatIndicator: true,
  messageExpiryInterval: 4321,
  contentType: 'text/plain; charset=utf-8',
  responseTopic: 'reply/to/me',
  correlationData: b('corr-\u00ff-1'),
  subscriptionIdentifier: 268435455,
  sessionExpiryInterval: 0xffffffff,
  assignedClientIdentifier: 'assigned-✓',
  serverKeepAlive: 120,
  authenticationMethod: 'SCRAM-SHA-256',
  authenticationData: b([1, 2, 3, 0, 255]),
  requestProblemInformation: false,
  willDelayInterval: 30,
  requestResponseInformation: true,
  responseInformation: 'resp/info',
  serverReference: 'other.example:1883',
  reasonString: 'because',
  receiveMaximum: 65535,
  topicAliasMaximum: 10,
  topicAlias: 7,
  maximumQoS: 1,
  retainAvailable: false,
  userProperties: { a: 'b', multi: ['x', 'y'], 'ü': 'ñ' },
  maximumPacketSize: 1048576,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: false,
  sharedSubscriptionAvailable: true
}

// Which properties each packet (or the will) may carry, MQTT 5 table 2.2.2.2.
const ALLOWED = {
  connect: ['sessionExpiryInterval', 'receiveMaximum', 'maximumPacketSize', 'topicAliasMaximum',
    'requestResponseInformation', 'requestProblemInformation', 'userProperties',
    'authenticationMethod', 'authenticationData'],
  will: ['willDelayInterval', 'payloadFormatIndicator', 'messageExpiryInterval', 'contentType',
    'responseTopic', 'correlationData', 'userProperties'],
  connack: ['sessionExpiryInterval', 'receiveMaximum', 'maximumQoS', 'retainAvailable',
    'maximumPacketSize', 'assignedClientIdentifier', 'topicAliasMaximum', 'reasonString',
    'userProperties', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable',
    'sharedSubscriptionAvailable', 'serverKeepAlive', 'responseInformation', 'serverReference',
    'authenticationMethod', 'authenticationData'],
  publish: ['payloadFormatIndicator', 'messageExpiryInterval', 'topicAlias', 'responseTopic',
    'correlationData', 'userProperties', 'subscriptionIdentifier', 'contentType'],
  puback: ['reasonString', 'userProperties'],
  subscribe: ['subscriptionIdentifier', 'userProperties'],
  suback: ['reasonString', 'userProperties'],
  unsubscribe: ['userProperties'],
  unsuback: ['reasonString', 'userProperties'],
  disconnect: ['sessionExpiryInterval', 'reasonString', 'serverReference', 'userProperties'],
  auth: ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties']
}

function pick (names) {
  const out = {}
  for (const n of names) out[n] = PROPERTY_VALUES[n]
  return out
}

// Every allowed property alone, then all of them together, then all in reverse order
// (mqtt-packet writes properties in the object's key order).
function propertyVariants (kind) {
  const names = ALLOWED[kind]
  return [...names.map((n) => pick([n])), pick(names), pick([...names].reverse())]
}

function corpus () {
  const list = []
  const add = (name, packet, opts) => list.push({ name, packet, opts })

  // CONNECT at each level.
  for (const v of [3, 4, 5]) {
    const base = { cmd: 'connect', protocolId: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v }
    add(`connect v${v} minimal`, { ...base, clientId: 'c1', clean: true, keepalive: 0 })
    add(`connect v${v} keepalive max`, { ...base, clientId: 'client-ü', clean: false, keepalive: 65535 })
    add(`connect v${v} user+pass`, { ...base, clientId: 'c', keepalive: 60, username: 'user', password: b('p@ss\u0000') })
    add(`connect v${v} username only`, { ...base, clientId: 'c', username: 'ü-user' })
    for (const qos of [0, 1, 2]) {
      for (const retain of [false, true]) {
        add(`connect v${v} will q${qos} r${retain}`, {
          ...base, clientId: 'w', keepalive: 10, will: { topic: 'last/will', payload: b('bye'), qos, retain }
        })
      }
    }
    add(`connect v${v} will empty payload`, { ...base, clientId: 'w', will: { topic: 'lw', payload: b(''), qos: 0, retain: false } })
    // mqtt-packet 9 has no version byte for bridge mode at level 5 (see packet-codec.test.js).
    if (v < 5) add(`connect v${v} bridge`, { ...base, clientId: 'bridge', bridgeMode: true })
    if (v >= 4) add(`connect v${v} empty client id`, { ...base, clientId: '', clean: true })
  }
  for (const props of propertyVariants('connect')) {
    add(`connect v5 props ${Object.keys(props).join(',')}`, {
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'p', keepalive: 30, properties: props
    })
  }
  for (const props of propertyVariants('will')) {
    add(`connect v5 will props ${Object.keys(props).join(',')}`, {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'wp',
      will: { topic: 'w/t', payload: b('gone'), qos: 1, retain: false, properties: props }
    })
  }

  // CONNACK.
  for (const v of [3, 4]) {
    for (let rc = 0; rc <= 5; rc++) add(`connack v${v} rc${rc}`, { cmd: 'connack', returnCode: rc, sessionPresent: false }, { protocolVersion: v })
    add(`connack v${v} session present`, { cmd: 'connack', returnCode: 0, sessionPresent: true }, { protocolVersion: v })
  }
  for (const rc of [0, 0x80, 0x81, 0x84, 0x85, 0x86, 0x87, 0x88, 0x8a, 0x8c, 0x95, 0x9c, 0x9f]) {
    add(`connack v5 rc${rc}`, { cmd: 'connack', reasonCode: rc, sessionPresent: false }, { protocolVersion: 5 })
  }
  add('connack v5 session present', { cmd: 'connack', reasonCode: 0, sessionPresent: true }, { protocolVersion: 5 })
  for (const props of propertyVariants('connack')) {
    add(`connack v5 props ${Object.keys(props).join(',')}`, { cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: props }, { protocolVersion: 5 })
  }

  // PUBLISH.
  const payloads = [b(''), b('x'), Buffer.alloc(16, 7), Buffer.alloc(127, 1), Buffer.alloc(128, 2), Buffer.alloc(1024, 3), Buffer.alloc(16384, 4), Buffer.alloc(70000, 5)]
  for (const v of [3, 4, 5]) {
    for (const qos of [0, 1, 2]) {
      for (const payload of payloads) {
        add(`publish v${v} q${qos} ${payload.length}B`, { cmd: 'publish', topic: 'a/b/c', payload, qos, messageId: qos ? 42 : undefined, retain: false, dup: false }, { protocolVersion: v })
      }
      add(`publish v${v} q${qos} retain`, { cmd: 'publish', topic: 't', payload: b('r'), qos, messageId: qos ? 1 : undefined, retain: true, dup: false }, { protocolVersion: v })
      if (qos) add(`publish v${v} q${qos} dup`, { cmd: 'publish', topic: 't', payload: b('d'), qos, messageId: 65535, retain: false, dup: true }, { protocolVersion: v })
      add(`publish v${v} q${qos} string payload`, { cmd: 'publish', topic: 'ü/✓', payload: 'héllo wörld', qos, messageId: qos ? 7 : undefined }, { protocolVersion: v })
    }
    add(`publish v${v} long topic`, { cmd: 'publish', topic: 'x/'.repeat(300) + 'y', payload: b('l'), qos: 0 }, { protocolVersion: v })
    add(`publish v${v} $SYS topic`, { cmd: 'publish', topic: '$SYS/broker/uptime', payload: b('1'), qos: 0 }, { protocolVersion: v })
  }
  for (const props of propertyVariants('publish')) {
    add(`publish v5 props ${Object.keys(props).join(',')}`, { cmd: 'publish', topic: 'p/t', payload: b('pp'), qos: 1, messageId: 3, properties: props }, { protocolVersion: 5 })
  }
  add('publish v5 several subscription ids', { cmd: 'publish', topic: 's', payload: b('s'), qos: 0, properties: { subscriptionIdentifier: [1, 128, 16384, 2097152] } }, { protocolVersion: 5 })
  add('publish v5 alias with empty topic', { cmd: 'publish', topic: '', payload: b('a'), qos: 0, properties: { topicAlias: 3 } }, { protocolVersion: 5 })

  // PUBACK, PUBREC, PUBREL, PUBCOMP.
  for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp']) {
    for (const v of [3, 4]) {
      add(`${cmd} v${v}`, { cmd, messageId: 1 }, { protocolVersion: v })
      add(`${cmd} v${v} max id`, { cmd, messageId: 65535 }, { protocolVersion: v })
    }
    const codes = cmd === 'puback' || cmd === 'pubrec' ? [0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99] : [0x92]
    add(`${cmd} v5 explicit success`, { cmd, messageId: 2, reasonCode: 0 }, { protocolVersion: 5 })
    add(`${cmd} v5 no reason code`, { cmd, messageId: 2 }, { protocolVersion: 5 })
    for (const rc of codes) add(`${cmd} v5 rc${rc}`, { cmd, messageId: 9, reasonCode: rc }, { protocolVersion: 5 })
    for (const props of propertyVariants('puback')) {
      add(`${cmd} v5 props ${Object.keys(props).join(',')}`, { cmd, messageId: 4, reasonCode: 0, properties: props }, { protocolVersion: 5 })
    }
    add(`${cmd} v5 empty props object`, { cmd, messageId: 4, reasonCode: 0, properties: {} }, { protocolVersion: 5 })
  }

  // SUBSCRIBE.
  for (const v of [3, 4, 5]) {
    add(`subscribe v${v} one`, { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/+/c', qos: 1 }] }, { protocolVersion: v })
    add(`subscribe v${v} many`, {
      cmd: 'subscribe',
      messageId: 300,
      subscriptions: [{ topic: '#', qos: 0 }, { topic: 'a/#', qos: 1 }, { topic: '+/+', qos: 2 }, { topic: '$SYS/#', qos: 0 }, { topic: 'ü', qos: 2 }]
    }, { protocolVersion: v })
  }
  for (const rh of [0, 1, 2]) {
    for (const nl of [false, true]) {
      for (const rap of [false, true]) {
        add(`subscribe v5 rh${rh} nl${nl} rap${rap}`, { cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'x/y', qos: 1, nl, rap, rh }] }, { protocolVersion: 5 })
      }
    }
  }
  add('subscribe v5 shared', { cmd: 'subscribe', messageId: 6, subscriptions: [{ topic: '$share/group/sensors/#', qos: 1, nl: false, rap: false, rh: 0 }] }, { protocolVersion: 5 })
  for (const props of propertyVariants('subscribe')) {
    add(`subscribe v5 props ${Object.keys(props).join(',')}`, { cmd: 'subscribe', messageId: 8, subscriptions: [{ topic: 's', qos: 0, nl: false, rap: false, rh: 0 }], properties: props }, { protocolVersion: 5 })
  }

  // SUBACK.
  for (const v of [3, 4]) add(`suback v${v}`, { cmd: 'suback', messageId: 1, granted: [0, 1, 2, 128] }, { protocolVersion: v })
  add('suback v5 codes', { cmd: 'suback', messageId: 1, granted: [0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2] }, { protocolVersion: 5 })
  for (const props of propertyVariants('suback')) {
    add(`suback v5 props ${Object.keys(props).join(',')}`, { cmd: 'suback', messageId: 2, granted: [1], properties: props }, { protocolVersion: 5 })
  }

  // UNSUBSCRIBE.
  for (const v of [3, 4, 5]) {
    add(`unsubscribe v${v}`, { cmd: 'unsubscribe', messageId: 10, unsubscriptions: ['a/b', '#', 'c/+/d'] }, { protocolVersion: v })
  }
  for (const props of propertyVariants('unsubscribe')) {
    add(`unsubscribe v5 props ${Object.keys(props).join(',')}`, { cmd: 'unsubscribe', messageId: 11, unsubscriptions: ['u'], properties: props }, { protocolVersion: 5 })
  }

  // UNSUBACK.
  for (const v of [3, 4]) add(`unsuback v${v}`, { cmd: 'unsuback', messageId: 12 }, { protocolVersion: v })
  add('unsuback v5 codes', { cmd: 'unsuback', messageId: 12, granted: [0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91] }, { protocolVersion: 5 })
  for (const props of propertyVariants('unsuback')) {
    add(`unsuback v5 props ${Object.keys(props).join(',')}`, { cmd: 'unsuback', messageId: 13, granted: [0], properties: props }, { protocolVersion: 5 })
  }

  // PINGREQ, PINGRESP.
  for (const v of [3, 4, 5]) {
    add(`pingreq v${v}`, { cmd: 'pingreq' }, { protocolVersion: v })
    add(`pingresp v${v}`, { cmd: 'pingresp' }, { protocolVersion: v })
  }

  // DISCONNECT.
  for (const v of [3, 4]) add(`disconnect v${v}`, { cmd: 'disconnect' }, { protocolVersion: v })
  for (const rc of [0, 4, 0x80, 0x81, 0x82, 0x87, 0x8b, 0x8e, 0x93, 0x97, 0x9c, 0xa2]) {
    add(`disconnect v5 rc${rc}`, { cmd: 'disconnect', reasonCode: rc }, { protocolVersion: 5 })
  }
  for (const props of propertyVariants('disconnect')) {
    add(`disconnect v5 props ${Object.keys(props).join(',')}`, { cmd: 'disconnect', reasonCode: 0, properties: props }, { protocolVersion: 5 })
  }

  // AUTH.
  for (const rc of [0, 0x18, 0x19]) add(`auth v5 rc${rc}`, { cmd: 'auth', reasonCode: rc }, { protocolVersion: 5 })
  for (const props of propertyVariants('auth')) {
    add(`auth v5 props ${Object.keys(props).join(',')}`, { cmd: 'auth', reasonCode: 0x18, properties: props }, { protocolVersion: 5 })
  }
  return list
}

module.exports = { corpus, PROPERTY_VALUES, ALLOWED }
