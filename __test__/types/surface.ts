// Compiled twice by __test__/types.test.js, with 'mqtt' mapped to MQTT.js 5.16's declarations
// and to this package's index.d.ts: every type name MQTT.js exports, used the way programs use
// them, must compile against both, and the mistakes marked @ts-expect-error must be rejected
// by both.
import mqtt, {
  connect, connectAsync, MqttClient, Client, Store, DefaultMessageIdProvider, UniqueMessageIdProvider,
  KeepaliveManager, ReasonCodes, ErrorWithReasonCode, ErrorWithSubackPacket, MQTTJS_VERSION,
  applyMixin, nextTick, validateTopic, validateTopics,
  type AckHandler, type BaseMqttProtocol, type Callback, type ClientSubscribeCallback, type CloseCallback,
  type Constructor, type DoneCallback, type GenericCallback, type IClientOptions, type IClientPublishOptions,
  type IClientReconnectOptions, type IClientSubscribeOptions, type IClientSubscribeProperties,
  type IClientUnsubscribeProperties, type IConnackPacket, type IDisconnectPacket,
  type IPublishPacket, type ISecureClientOptions, type IStore, type IStream, type ISubscriptionGrant,
  type ISubscriptionMap, type ISubscriptionRequest, type MqttClientEventCallbacks, type MqttProtocol,
  type MqttProtocolWithUnix, type OnCloseCallback, type OnConnectCallback, type OnDisconnectCallback,
  type OnErrorCallback, type OnMessageCallback, type OnPacketCallback, type Packet, type PacketCallback,
  type PacketHandler, type PacketPump, type PendingCommand, type StorePutCallback, type StreamBuilder,
  type Timer, type TimerVariant, type VoidCallback
} from 'mqtt'

const protocol: MqttProtocol = 'mqtts'
const unix: MqttProtocolWithUnix = 'mqtt+unix'
const base: BaseMqttProtocol = 'ws'
const variant: TimerVariant = 'native'
const secure: ISecureClientOptions = { ca: 'PEM', rejectUnauthorized: true }
const ack: AckHandler = (_topic, _message, _packet, cb) => cb(0)
const options: IClientOptions = {
  ...secure,
  protocol,
  host: '127.0.0.1',
  port: 1883,
  clientId: 'types',
  keepalive: 30,
  reschedulePings: false,
  protocolVersion: 5,
  clean: true,
  reconnectPeriod: 1000,
  connectTimeout: 5000,
  username: 'u',
  password: Buffer.from('p'),
  will: { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: false },
  properties: { sessionExpiryInterval: 60, receiveMaximum: 10 },
  socksProxy: 'socks5h://127.0.0.1:1080',
  socksTimeout: 1000,
  timerVariant: variant,
  customHandleAcks: ack,
  subscribeBatchSize: 10,
  reconnectOnConnackError: true,
  servers: [{ host: 'a', port: 1 }],
  wsOptions: { headers: { authorization: 'x' } },
  authPacket: { properties: { authenticationMethod: 'SCRAM-SHA-1' } }
}
void unix
void base

// @ts-expect-error a misspelled option is a mistake
const misspelled: IClientOptions = { keepAlive: 30 }
void misspelled
// @ts-expect-error an unknown protocol
const wrongProtocol: IClientOptions = { protocol: 'http' }
void wrongProtocol

const client: MqttClient = connect('mqtt://127.0.0.1', options)
const other: MqttClient = mqtt.connect(options)
void other
const AliasClient: typeof MqttClient = Client
void AliasClient

const onConnect: OnConnectCallback = (packet: IConnackPacket) => { void packet.sessionPresent }
const onMessage: OnMessageCallback = (topic, payload, packet: IPublishPacket) => { void (topic + payload.toString() + packet.qos) }
const onPacket: OnPacketCallback = (packet: Packet) => { void packet.cmd }
const onError: OnErrorCallback = (error) => { void (error instanceof ErrorWithReasonCode ? error.code : error.message) }
const onClose: OnCloseCallback = () => {}
const onDisconnect: OnDisconnectCallback = (packet: IDisconnectPacket) => { void packet.reasonCode }
const onEnd: VoidCallback = () => {}
client.on('connect', onConnect)
client.on('message', onMessage)
client.on('packetsend', onPacket)
client.on('error', onError)
client.on('close', onClose)
client.on('disconnect', onDisconnect)
client.once('end', onEnd)
client.off('message', onMessage)
const events: keyof MqttClientEventCallbacks = 'offline'
void events
// @ts-expect-error not an event of the client
client.on('conect', () => {})

const publishOptions: IClientPublishOptions = { qos: 1, retain: true, properties: { messageExpiryInterval: 10 } }
const cbStorePut: StorePutCallback = () => {}
const published: PacketCallback = (err, packet) => { void err; void packet }
client.publish('t', 'm', { ...publishOptions, cbStorePut }, published)
client.publish('t', Buffer.from('m'))
// @ts-expect-error QoS 3 does not exist
client.publish('t', 'm', { qos: 3 })

const subscribeOptions: IClientSubscribeOptions = { qos: 1, nl: true, rap: false, rh: 0 }
const subscribeProperties: IClientSubscribeProperties = { properties: { subscriptionIdentifier: 7 } }
const map: ISubscriptionMap = { 'a/#': subscribeOptions, 'b/+': { qos: 0 } }
const onGranted: ClientSubscribeCallback = (err, granted?: ISubscriptionGrant[]) => {
  if (err instanceof ErrorWithSubackPacket) void err.packet.granted
  for (const g of granted ?? []) { const q: 0 | 1 | 2 | 128 = g.qos; void q; void g.topic }
}
client.subscribe(map, onGranted)
client.subscribe('c', subscribeProperties, onGranted)
const request: ISubscriptionRequest = { topic: 'd', qos: 2 }
void request
const unsubscribeProperties: IClientUnsubscribeProperties = { properties: { userProperties: { a: 'b' } } }
client.unsubscribe(['a/#'], unsubscribeProperties, published)

async function flows (): Promise<void> {
  const c = await connectAsync('mqtt://127.0.0.1', options)
  const grants: ISubscriptionGrant[] = await c.subscribeAsync('x', { qos: 1 })
  void grants
  await c.publishAsync('x', 'y', { qos: 1 })
  await c.unsubscribeAsync('x')
  await c.endAsync(true)
}
void flows

const id: number = client.getLastMessageId()
void id
const keepalive: number = client.keepalive
void keepalive
void client.serverProperties?.maximumPacketSize
client.reschedulePing(true)
client.sendPing()
const manager: KeepaliveManager = client.keepaliveManager
void manager?.keepaliveTimeoutTimestamp
const timer: Timer = { set: (fn, ms) => setInterval(fn, ms), clear: (t) => clearInterval(t) }
void new KeepaliveManager(client, timer)
const pending: PendingCommand | undefined = client.outgoing[1]?.cmd
void pending
const topics: string[] | undefined = client.messageIdToTopic[1]
void topics
const stream: IStream = client.stream
void stream

const store: IStore = new Store({ clean: true })
const reconnectOptions: IClientReconnectOptions = { incomingStore: new Store(), outgoingStore: new Store() }
client.reconnect(reconnectOptions)
const provider = new UniqueMessageIdProvider()
void new DefaultMessageIdProvider().allocate()
const withStores = new MqttClient(() => client.stream, { incomingStore: store, messageIdProvider: provider, manualConnect: true })
void withStores
const builder: StreamBuilder = (c: MqttClient, opts?: IClientOptions) => { void opts; return c.stream }
void builder

const done: DoneCallback = (error) => { void error }
const generic: GenericCallback<number> = (error, result) => { void error; void result }
const close: CloseCallback = (error) => { void error }
const callback: Callback = () => {}
client.end(false, { reasonCode: 0 }, done)
void generic
void close
void callback

const pump: PacketPump = { discardParsedPackets: () => {}, isCurrent: () => true }
const handler: PacketHandler = (c, packet, cb, p) => { void c; void packet; void cb; void p }
void pump
void handler

class Base { greet (): string { return 'hi' } }
class Target {}
const ctor: Constructor = Base
applyMixin(Target, ctor)
nextTick(() => {})
const valid: boolean = validateTopic('a/+/#')
const invalid: string | null = validateTopics(['a/#/b'])
void valid
void invalid
const reason: string = ReasonCodes[135]
void reason
void MQTTJS_VERSION
