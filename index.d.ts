// Public types of mqtt-napi: MQTT.js 5's client surface (what this package implements today)
// and the codec. Hand-written; kept assignable to the `mqtt` package's types.
/// <reference types="node" />
import { EventEmitter } from 'events'
import { Duplex } from 'stream'
import * as net from 'net'
import * as tls from 'tls'
import * as packet from './packet'
import type {
  IConnackPacket, IConnectPacket, IDisconnectPacket, IPublishPacket, ISubackPacket,
  IUnsubackPacket, Packet, QoS, UserProperties
} from './packet'

export { packet }
export type { QoS, Packet, IConnackPacket, IPublishPacket, ISubackPacket, IUnsubackPacket, IDisconnectPacket, UserProperties }

// MQTT.js's shared types.
export type DoneCallback = (error?: Error) => void
export type GenericCallback<T> = (error?: Error, result?: T) => void
export type VoidCallback = () => void
export type Callback = () => void
/** A connection's byte stream (`client.stream`; what a StreamBuilder returns). */
export type IStream = Duplex & { socket?: any }
export type StreamBuilder = (client: MqttClient, opts?: IClientOptions) => IStream
export interface PacketPump {
  discardParsedPackets(): void
  isCurrent(): boolean
}
export type PacketHandler = (client: MqttClient, packet: Packet, done?: DoneCallback, pump?: PacketPump) => void
export type TimerVariant = 'auto' | 'worker' | 'native'
/** The keepalive timer's clock: `set` starts an interval, `clear` stops it. */
export interface Timer {
  set: (callback: () => void, ms: number) => any
  clear: (timerId: any) => void
}
export type Constructor<T = {}> = new (...args: any[]) => T
export declare function applyMixin(target: Constructor, mixin: Constructor, includeConstructor?: boolean): void
export declare const nextTick: (callback: Function, ...args: any[]) => void
/** Whether a topic filter is valid: `+` and `#` only as whole levels, `#` only last. */
export declare function validateTopic(topic: string): boolean
/** The first invalid filter, 'empty_topic_list' for none, or null. */
export declare function validateTopics(topics: string[]): string | null
export type PendingCommand = 'publish' | 'pubrel' | 'subscribe' | 'unsubscribe'

export type BaseMqttProtocol = 'wss' | 'ws' | 'mqtt' | 'mqtts' | 'tcp' | 'ssl' | 'wx' | 'wxs' | 'ali' | 'alis'
export type MqttProtocolWithUnix = `${BaseMqttProtocol}+unix`
export type MqttProtocol = BaseMqttProtocol | MqttProtocolWithUnix
export type StorePutCallback = () => void

export interface ISecureClientOptions {
  /** TLS: client key (PEM), for mutual TLS; `{ pem, passphrase }` entries as Node takes them. */
  key?: string | string[] | Buffer | Buffer[] | any[]
  keyPath?: string
  /** TLS: client certificate chain (PEM), for mutual TLS. */
  cert?: string | string[] | Buffer | Buffer[]
  certPath?: string
  /** TLS: trusted CAs (PEM), or a self-signed server certificate to pin; without it, the operating system's trust store. */
  ca?: string | string[] | Buffer | Buffer[]
  caPaths?: string | string[]
  /** TLS: check the server's certificate (default true). */
  rejectUnauthorized?: boolean
  ALPNProtocols?: string[] | Buffer[] | Uint8Array[] | Buffer | Uint8Array
}

export type AckHandler = (topic: string, message: Buffer, packet: any, cb: (error: Error | number, code?: number) => void) => void

export interface IClientOptions extends ISecureClientOptions {
  /** mqtt-napi: the largest packet taken from the server (default 64 MiB, at most 256 MiB); `properties.maximumPacketSize` wins when given. */
  maxPacketSize?: number
  encoding?: BufferEncoding
  browserBufferSize?: number
  binary?: boolean
  my?: any
  manualConnect?: boolean
  /** MQTT 5 enhanced authentication: an AUTH sent right after each CONNECT (with `properties.authenticationMethod`). */
  authPacket?: Partial<packet.IAuthPacket>
  writeCache?: boolean
  /** TLS: the name checked against the certificate (default: the host). */
  servername?: string
  defaultProtocol?: MqttProtocol
  query?: Record<string, string>
  /** `user:password`, as in a URL. */
  auth?: string
  /** A SOCKS proxy for mqtt:// and mqtts:// (socks4, socks4a, socks5, socks5h URLs); default MQTTJS_SOCKS_PROXY. */
  socksProxy?: string
  /** Milliseconds to reach the SOCKS proxy (default 30000). */
  socksTimeout?: number
  customHandleAcks?: AckHandler
  port?: number
  host?: string
  hostname?: string
  unixSocket?: boolean
  /** WebSocket path (default '/mqtt'), or the socket file with unixSocket. */
  path?: string
  protocol?: MqttProtocol
  /** WebSocket options (`headers` are sent with the upgrade request). */
  wsOptions?: { headers?: Record<string, string>; [option: string]: any }
  reconnectPeriod?: number
  reconnectOnConnackError?: boolean
  connectTimeout?: number
  incomingStore?: IStore
  outgoingStore?: IStore
  queueQoSZero?: boolean
  log?: (...args: any[]) => void
  /** MQTT 5: send the alias instead of a topic that already has one on this connection. */
  autoUseTopicAlias?: boolean
  /** MQTT 5: give topics aliases (up to the server's Topic Alias Maximum, least recently used first). */
  autoAssignTopicAlias?: boolean
  reschedulePings?: boolean
  /**
   * mqtt-napi extension: keepalive pings and their timeout run in the native core alone, with
   * no JS timer and no JS work per ping (for thousands of clients in one process). Default
   * false: MQTT.js's JS timer (`client.keepaliveManager`, driven by fake timers in tests).
   */
  nativeKeepalive?: boolean
  /**
   * mqtt-napi extension: 0 to 1; each wait before reconnecting is drawn from
   * `reconnectPeriod * (1 - reconnectJitter)` to `reconnectPeriod * (1 + reconnectJitter)`, so
   * clients dropped together (a broker restart) spread their reconnects. Default 0: exactly
   * `reconnectPeriod`, as MQTT.js.
   */
  reconnectJitter?: number
  servers?: Array<{ host: string; port: number; protocol?: 'wss' | 'ws' | 'mqtt' | 'mqtts' | 'tcp' | 'ssl' | 'wx' | 'wxs' }>
  resubscribe?: boolean
  subscribeBatchSize?: number
  transformWsUrl?: (url: string, options: IClientOptions, client: MqttClient) => string
  createWebsocket?: (url: string, websocketSubProtocols: string[], options: IClientOptions) => any
  messageIdProvider?: IMessageIdProvider
  browserBufferTimeout?: number
  objectMode?: boolean
  clientId?: string
  protocolVersion?: IConnectPacket['protocolVersion']
  protocolId?: IConnectPacket['protocolId']
  clean?: boolean
  keepalive?: number
  username?: string
  password?: Buffer | string
  will?: IConnectPacket['will']
  properties?: IConnectPacket['properties']
  timerVariant?: TimerVariant | Timer
  forceNativeWebSocket?: boolean
  /** Decrypts an encrypted `key` (PKCS#8 or OpenSSL's Proc-Type PEM); without the right one the attempt fails with ERR_TLS_KEY_ENCRYPTED. */
  passphrase?: string | Buffer
}

export interface IClientPublishOptions {
  qos?: QoS
  retain?: boolean
  dup?: boolean
  properties?: IPublishPacket['properties']
  cbStorePut?: StorePutCallback
}

export interface IClientReconnectOptions {
  incomingStore?: Store
  outgoingStore?: Store
}

export interface IClientSubscribeProperties {
  properties?: packet.ISubscribePacket['properties']
}

export interface IClientSubscribeOptions extends IClientSubscribeProperties {
  qos: QoS
  nl?: boolean
  rap?: boolean
  rh?: number
}

export interface ISubscriptionRequest extends IClientSubscribeOptions {
  topic: string
}

export interface ISubscriptionGrant extends Omit<ISubscriptionRequest, 'qos' | 'properties'> {
  qos: QoS | 128
}

export type ISubscriptionMap = { [topic: string]: IClientSubscribeOptions } & { resubscribe?: boolean }

export interface IClientUnsubscribeProperties {
  properties?: packet.IUnsubscribePacket['properties']
}

export type OnConnectCallback = (packet: IConnackPacket) => void
export type OnDisconnectCallback = (packet: IDisconnectPacket) => void
export type ClientSubscribeCallback = (err: Error | null, granted?: ISubscriptionGrant[], packet?: ISubackPacket) => void
export type OnMessageCallback = (topic: string, payload: Buffer, packet: IPublishPacket) => void
export type OnPacketCallback = (packet: Packet) => void
export type OnCloseCallback = () => void
export type OnErrorCallback = (error: Error | ErrorWithReasonCode) => void
export type PacketCallback = (error?: Error | ErrorWithReasonCode, packet?: Packet) => any
export type CloseCallback = (error?: Error) => void

export interface IStoreOptions {
  clean?: boolean
}

export interface IStore {
  put(packet: Packet, cb: DoneCallback): IStore
  createStream(): NodeJS.ReadableStream
  del(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): IStore
  get(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): IStore
  close(cb: DoneCallback): void
}

export declare class Store implements IStore {
  constructor(options?: IStoreOptions)
  put(packet: Packet, cb: DoneCallback): this
  createStream(): NodeJS.ReadableStream
  del(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): this
  get(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): this
  close(cb: DoneCallback): void
}

export interface IMessageIdProvider {
  allocate(): number | null
  getLastAllocated(): number | null
  register(num: number): boolean
  deallocate(num: number): void
  clear(): void
}

export declare class DefaultMessageIdProvider implements IMessageIdProvider {
  allocate(): number
  getLastAllocated(): number
  register(messageId: number): boolean
  deallocate(messageId: number): void
  clear(): void
}

export declare class UniqueMessageIdProvider implements IMessageIdProvider {
  allocate(): number
  getLastAllocated(): number
  register(messageId: number): boolean
  deallocate(messageId: number): void
  clear(): void
}

export declare class ErrorWithReasonCode extends Error {
  code: number
  constructor(message: string, code: number)
}

/** A refused SUBSCRIBE: `packet` is the SUBACK. */
export declare class ErrorWithSubackPacket extends Error {
  packet: ISubackPacket
  constructor(message: string, packet: ISubackPacket)
}

export declare const ReasonCodes: { [code: number]: string }
export declare const MQTTJS_VERSION: any

/** MQTT.js's keepalive timer (the client makes one per connection: `client.keepaliveManager`). */
export declare class KeepaliveManager {
  constructor(client: MqttClient, variant: TimerVariant | Timer)
  /** Timestamp (ms) of the next keepalive timeout. */
  get keepaliveTimeoutTimestamp(): number
  /** Milliseconds between two ticks (half the keepalive). */
  get intervalEvery(): number
  /** The keepalive in milliseconds. */
  get keepalive(): number
  setKeepalive(value: number): void
  destroy(): void
  reschedule(): void
}

export interface MqttClientEventCallbacks {
  connect: OnConnectCallback
  message: OnMessageCallback
  packetsend: OnPacketCallback
  packetreceive: OnPacketCallback
  disconnect: OnDisconnectCallback
  error: OnErrorCallback
  close: OnCloseCallback
  end: VoidCallback
  reconnect: VoidCallback
  offline: VoidCallback
  outgoingEmpty: VoidCallback
}

type Events = MqttClientEventCallbacks

export declare class MqttClient extends EventEmitter {
  static VERSION: any
  static defaultId(): string
  constructor(streamBuilder: StreamBuilder, options: IClientOptions)
  connected: boolean
  disconnecting: boolean
  disconnected: boolean
  reconnecting: boolean
  incomingStore: IStore
  outgoingStore: IStore
  options: IClientOptions
  queueQoSZero: boolean
  _reconnectCount: number
  log: (...args: any[]) => void
  messageIdProvider: IMessageIdProvider
  outgoing: Record<number, { volatile: boolean; cmd: PendingCommand; cb: (err: Error, packet?: Packet) => void }>
  messageIdToTopic: Record<number, string[]>
  noop: (error?: any) => void
  keepaliveManager: KeepaliveManager
  stream: IStream
  queue: { packet: Packet; cb: PacketCallback }[]

  on<E extends keyof Events>(event: E, callback: Events[E]): this
  once<E extends keyof Events>(event: E, callback: Events[E]): this
  prependListener<E extends keyof Events>(event: E, callback: Events[E]): this
  prependOnceListener<E extends keyof Events>(event: E, callback: Events[E]): this
  removeListener<E extends keyof Events>(event: E, callback: Events[E]): this
  off<E extends keyof Events>(event: E, callback: Events[E]): this
  removeAllListeners(event?: keyof Events): this
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean
  listeners<E extends keyof Events>(event: E): Events[E][]
  rawListeners<E extends keyof Events>(event: E): Events[E][]
  listenerCount<E extends keyof Events>(event: E, listener?: Events[E]): number
  eventNames(): Array<keyof Events>

  handleAuth(packet: packet.IAuthPacket, callback: PacketCallback): void
  handleMessage(packet: IPublishPacket, callback: DoneCallback): void
  getLastMessageId(): number
  connect(): this
  publish(topic: string, message: string | Buffer): MqttClient
  publish(topic: string, message: string | Buffer, callback?: PacketCallback): MqttClient
  publish(topic: string, message: string | Buffer, opts?: IClientPublishOptions, callback?: PacketCallback): MqttClient
  publishAsync(topic: string, message: string | Buffer): Promise<Packet | undefined>
  publishAsync(topic: string, message: string | Buffer, opts?: IClientPublishOptions): Promise<Packet | undefined>
  subscribe(topicObject: string | string[] | ISubscriptionMap): MqttClient
  subscribe(topicObject: string | string[] | ISubscriptionMap, callback?: ClientSubscribeCallback): MqttClient
  subscribe(topicObject: string | string[] | ISubscriptionMap, opts?: IClientSubscribeOptions | IClientSubscribeProperties): MqttClient
  subscribe(topicObject: string | string[] | ISubscriptionMap, opts?: IClientSubscribeOptions | IClientSubscribeProperties, callback?: ClientSubscribeCallback): MqttClient
  subscribeAsync(topicObject: string | string[] | ISubscriptionMap): Promise<ISubscriptionGrant[]>
  subscribeAsync(topicObject: string | string[] | ISubscriptionMap, opts?: IClientSubscribeOptions | IClientSubscribeProperties): Promise<ISubscriptionGrant[]>
  unsubscribe(topic: string | string[]): MqttClient
  unsubscribe(topic: string | string[], opts?: IClientUnsubscribeProperties): MqttClient
  unsubscribe(topic: string | string[], callback?: PacketCallback): MqttClient
  unsubscribe(topic: string | string[], opts?: IClientUnsubscribeProperties, callback?: PacketCallback): MqttClient
  unsubscribeAsync(topic: string | string[]): Promise<Packet | undefined>
  unsubscribeAsync(topic: string | string[], opts?: IClientUnsubscribeProperties): Promise<Packet | undefined>
  end(cb?: DoneCallback): MqttClient
  end(force?: boolean): MqttClient
  end(opts?: Partial<IDisconnectPacket>, cb?: DoneCallback): MqttClient
  end(force?: boolean, cb?: DoneCallback): MqttClient
  end(force?: boolean, opts?: Partial<IDisconnectPacket>, cb?: DoneCallback): MqttClient
  endAsync(): Promise<void>
  endAsync(force?: boolean): Promise<void>
  endAsync(opts?: Partial<IDisconnectPacket>): Promise<void>
  endAsync(force?: boolean, opts?: Partial<IDisconnectPacket>): Promise<void>
  removeOutgoingMessage(messageId: number): MqttClient
  reconnect(opts?: Pick<IClientOptions, 'incomingStore' | 'outgoingStore'>): MqttClient
  /** The properties of the broker's CONNACK (MQTT 5). */
  get serverProperties(): IConnackPacket['properties']
  /** The keepalive in force (seconds): the broker's Server Keep Alive while connected (MQTT 5), else the option. */
  get keepalive(): number
  reschedulePing(force?: boolean): void
  sendPing(): void
  onKeepaliveTimeout(): void

  /** mqtt-napi extras. */
  isConnected(): boolean
  isReconnecting(): boolean
  canPublish(): boolean
  isQueued(): boolean
}

export declare const Client: typeof MqttClient

export declare function connect(brokerUrl: string): MqttClient
export declare function connect(opts: IClientOptions): MqttClient
export declare function connect(brokerUrl: string, opts?: IClientOptions): MqttClient
export declare function connectAsync(brokerUrl: string): Promise<MqttClient>
export declare function connectAsync(opts: IClientOptions): Promise<MqttClient>
export declare function connectAsync(brokerUrl: string, opts?: IClientOptions): Promise<MqttClient>
export declare function connectAsync(brokerUrl: string, opts: IClientOptions, allowRetries: boolean): Promise<MqttClient>

// The server side of early MQTT.js (and of the `mqtt-connection` package).

type OmitCmd<T> = Omit<T, 'cmd'> & { cmd?: string }

export interface MqttConnectionOptions {
  /** 3, 4 (default) or 5; the server side learns it from CONNECT. */
  protocolVersion?: 3 | 4 | 5
  /** Largest packet accepted from the peer, in bytes; a larger one is an `error`. */
  maxPacketSize?: number
  /** Received PUBLISH payloads as strings in this encoding (see setPacketEncoding). */
  encoding?: BufferEncoding
  /** No per-packet events: read the packet objects from the stream instead. */
  notData?: boolean
}

export declare class MqttConnection extends Duplex {
  constructor(duplex?: Duplex, opts?: MqttConnectionOptions, cb?: () => void)
  constructor(opts?: MqttConnectionOptions)
  /** The byte stream (for the pipe style, the source piped in). */
  stream: Duplex | null
  options: MqttConnectionOptions & { protocolVersion: 3 | 4 | 5 }
  connect(packet: OmitCmd<packet.IConnectPacket>, cb?: () => void): void
  connack(packet: OmitCmd<IConnackPacket>, cb?: () => void): void
  publish(packet: OmitCmd<IPublishPacket>, cb?: () => void): void
  puback(packet: OmitCmd<packet.IPubackPacket>, cb?: () => void): void
  pubrec(packet: OmitCmd<packet.IPubrecPacket>, cb?: () => void): void
  pubrel(packet: OmitCmd<packet.IPubrelPacket>, cb?: () => void): void
  pubcomp(packet: OmitCmd<packet.IPubcompPacket>, cb?: () => void): void
  subscribe(packet: OmitCmd<packet.ISubscribePacket>, cb?: () => void): void
  suback(packet: OmitCmd<ISubackPacket>, cb?: () => void): void
  unsubscribe(packet: OmitCmd<packet.IUnsubscribePacket>, cb?: () => void): void
  unsuback(packet: OmitCmd<IUnsubackPacket>, cb?: () => void): void
  pingreq(packet?: object, cb?: () => void): void
  pingresp(packet?: object, cb?: () => void): void
  disconnect(packet?: OmitCmd<IDisconnectPacket>, cb?: () => void): void
  auth(packet: OmitCmd<packet.IAuthPacket>, cb?: () => void): void
  setProtocolVersion(version: 3 | 4 | 5): void
  setOptions(packet: { protocolVersion?: number; cmd?: string }, opts?: MqttConnectionOptions): void
  /** Received PUBLISH payloads as strings in `encoding`; null for Buffers (the default). */
  setPacketEncoding(encoding: BufferEncoding | 'buffer' | null): void
  on(event: 'connect', listener: (packet: packet.IConnectPacket) => void): this
  on(event: 'connack', listener: (packet: IConnackPacket) => void): this
  on(event: 'publish', listener: (packet: IPublishPacket) => void): this
  on(event: 'puback', listener: (packet: packet.IPubackPacket) => void): this
  on(event: 'pubrec', listener: (packet: packet.IPubrecPacket) => void): this
  on(event: 'pubrel', listener: (packet: packet.IPubrelPacket) => void): this
  on(event: 'pubcomp', listener: (packet: packet.IPubcompPacket) => void): this
  on(event: 'subscribe', listener: (packet: packet.ISubscribePacket) => void): this
  on(event: 'suback', listener: (packet: ISubackPacket) => void): this
  on(event: 'unsubscribe', listener: (packet: packet.IUnsubscribePacket) => void): this
  on(event: 'unsuback', listener: (packet: IUnsubackPacket) => void): this
  on(event: 'pingreq' | 'pingresp', listener: (packet: Packet) => void): this
  on(event: 'disconnect', listener: (packet: IDisconnectPacket) => void): this
  on(event: 'auth', listener: (packet: packet.IAuthPacket) => void): this
  on(event: 'connected' | 'close' | 'end', listener: () => void): this
  on(event: 'data', listener: (packet: Packet) => void): this
  on(event: 'error', listener: (err: Error & { code?: string }) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

/** An accepted connection of an MqttServer or MqttSecureServer. */
export declare class MqttServerClient extends MqttConnection {
  server: MqttServer | MqttSecureServer
}

export interface MqttServerOptions extends net.ServerOpts {
  maxPacketSize?: number
  protocolVersion?: 3 | 4 | 5
}

export declare class MqttServer extends net.Server {
  constructor(listener?: (client: MqttServerClient) => void)
  constructor(opts?: MqttServerOptions, listener?: (client: MqttServerClient) => void)
  on(event: 'client', listener: (client: MqttServerClient) => void): this
  on(event: 'clientError', listener: (err: Error, client: MqttServerClient) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

export declare class MqttSecureServer extends tls.Server {
  constructor(opts: tls.TlsOptions & { maxPacketSize?: number }, listener?: (client: MqttServerClient) => void)
  on(event: 'client', listener: (client: MqttServerClient) => void): this
  on(event: 'clientError', listener: (err: Error, client: MqttServerClient) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

export declare function createServer(listener?: (client: MqttServerClient) => void): MqttServer
export declare function createServer(opts?: MqttServerOptions, listener?: (client: MqttServerClient) => void): MqttServer
export declare function createSecureServer(keyPath: string, certPath: string, listener?: (client: MqttServerClient) => void): MqttSecureServer
export declare function createSecureServer(opts: tls.TlsOptions & { maxPacketSize?: number }, listener?: (client: MqttServerClient) => void): MqttSecureServer
export declare function createWebSocketServer(opts?: { path?: string; server?: import('http').Server; key?: string | Buffer; cert?: string | Buffer; ca?: string | Buffer; maxPacketSize?: number; protocolVersion?: 3 | 4 | 5 }, listener?: (client: MqttServerClient) => void): import('http').Server
export declare function createWebSocketServer(listener?: (client: MqttServerClient) => void): import('http').Server
export declare function createConnection(port?: number, host?: string, callback?: (err: Error | null, conn?: MqttConnection) => void): MqttConnection
export declare function createConnection(port: number, callback: (err: Error | null, conn?: MqttConnection) => void): MqttConnection

declare const mqtt: {
  connect: typeof connect
  connectAsync: typeof connectAsync
  MqttClient: typeof MqttClient
  Client: typeof MqttClient
  Store: typeof Store
  DefaultMessageIdProvider: typeof DefaultMessageIdProvider
  UniqueMessageIdProvider: typeof UniqueMessageIdProvider
  KeepaliveManager: typeof KeepaliveManager
  ReasonCodes: typeof ReasonCodes
  ErrorWithReasonCode: typeof ErrorWithReasonCode
  ErrorWithSubackPacket: typeof ErrorWithSubackPacket
  nextTick: typeof nextTick
  applyMixin: typeof applyMixin
  validateTopic: typeof validateTopic
  validateTopics: typeof validateTopics
  MQTTJS_VERSION: string
  MqttConnection: typeof MqttConnection
  MqttServer: typeof MqttServer
  MqttSecureServer: typeof MqttSecureServer
  MqttServerClient: typeof MqttServerClient
  createServer: typeof createServer
  createSecureServer: typeof createSecureServer
  createWebSocketServer: typeof createWebSocketServer
  createConnection: typeof createConnection
  packet: typeof packet
}
export default mqtt
