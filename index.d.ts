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

export type OnMessageCallback = (topic: string, payload: Buffer, packet: IPublishPacket) => void
export type PacketCallback = (error?: Error, packet?: Packet) => any
export type DoneCallback = (error?: Error) => void
export type ClientSubscribeCallback = (err: Error | null, granted?: ISubscriptionGrant[], packet?: ISubackPacket) => void

export interface ISubscriptionGrant {
  topic: string
  qos: QoS | number
  nl?: boolean
  rap?: boolean
  rh?: number
}

export interface IClientPublishOptions {
  qos?: QoS
  retain?: boolean
  dup?: boolean
  properties?: IPublishPacket['properties']
  cbStorePut?: DoneCallback
}

export interface IClientSubscribeOptions {
  qos: QoS
  nl?: boolean
  rap?: boolean
  rh?: number
  properties?: { subscriptionIdentifier?: number; userProperties?: UserProperties }
}

export interface ISubscriptionMap {
  [topic: string]: { qos: QoS; nl?: boolean; rap?: boolean; rh?: number }
}

export interface IClientUnsubscribeProperties {
  properties?: { userProperties?: UserProperties }
}

export interface IClientOptions {
  host?: string
  hostname?: string
  port?: number
  protocol?: 'mqtt' | 'tcp' | 'mqtts' | 'ssl' | 'tls' | 'ws' | 'wss' | 'mqtt+unix'
  /** WebSocket path (default '/mqtt'), or the socket file with unixSocket. */
  path?: string
  unixSocket?: boolean
  wsOptions?: { headers?: Record<string, string> }
  /** TLS: trusted CAs (PEM); without it, the operating system's trust store. */
  ca?: string | Buffer | Array<string | Buffer>
  /** TLS: client certificate chain and key (PEM), for mutual TLS. */
  cert?: string | Buffer | Array<string | Buffer>
  key?: string | Buffer | Array<string | Buffer | { pem: string | Buffer; passphrase?: string | Buffer }>
  caPaths?: string | string[]
  certPath?: string
  keyPath?: string
  /** Decrypts an encrypted `key` (PKCS#8 or OpenSSL's Proc-Type PEM); without the right one the attempt fails with ERR_TLS_KEY_ENCRYPTED. */
  passphrase?: string | Buffer
  /** TLS: check the server's certificate (default true). */
  rejectUnauthorized?: boolean
  /** TLS: the name checked against the certificate (default: the host). */
  servername?: string
  ALPNProtocols?: string[] | Buffer[]
  clientId?: string
  username?: string
  password?: string | Buffer
  clean?: boolean
  keepalive?: number
  reschedulePings?: boolean
  protocolId?: 'MQTT' | 'MQIsdp'
  protocolVersion?: 3 | 4 | 5
  reconnectPeriod?: number
  connectTimeout?: number
  resubscribe?: boolean
  queueQoSZero?: boolean
  /** MQTT 5: send the alias instead of a topic that already has one on this connection. */
  autoUseTopicAlias?: boolean
  /** MQTT 5: give topics aliases (up to the server's Topic Alias Maximum, least recently used first). */
  autoAssignTopicAlias?: boolean
  manualConnect?: boolean
  /** MQTT 5 enhanced authentication: an AUTH sent right after each CONNECT (with `properties.authenticationMethod`). */
  authPacket?: Partial<packet.IAuthPacket>
  servers?: Array<{ host: string; port: number }>
  will?: IConnectPacket['will']
  properties?: IConnectPacket['properties']
  messageIdProvider?: IMessageIdProvider
  incomingStore?: IStore
  outgoingStore?: IStore
  customHandleAcks?: (topic: string, message: Buffer, packet: IPublishPacket, done: (error: Error | number | null, reasonCode?: number) => void) => void
  log?: (...args: any[]) => void
  [key: string]: any
}

export interface IStore {
  put(packet: Packet, cb: () => void): IStore
  createStream(): NodeJS.ReadableStream
  del(packet: Pick<Packet, 'messageId'>, cb: (err?: Error | null, packet?: Packet) => void): IStore
  get(packet: Pick<Packet, 'messageId'>, cb: (err?: Error | null, packet?: Packet) => void): IStore
  close(cb?: () => void): void
}

export declare class Store implements IStore {
  constructor(options?: { clean?: boolean })
  put(packet: Packet, cb: () => void): this
  createStream(): NodeJS.ReadableStream
  del(packet: Pick<Packet, 'messageId'>, cb: (err?: Error | null, packet?: Packet) => void): this
  get(packet: Pick<Packet, 'messageId'>, cb: (err?: Error | null, packet?: Packet) => void): this
  close(cb?: () => void): void
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
  register(num: number): boolean
  deallocate(num: number): void
  clear(): void
}

export declare class UniqueMessageIdProvider implements IMessageIdProvider {
  allocate(): number | null
  getLastAllocated(): number | null
  register(num: number): boolean
  deallocate(num: number): void
  clear(): void
}

export declare class ErrorWithReasonCode extends Error {
  code: number
  constructor(message: string, code: number)
}

export declare const ReasonCodes: Record<number, string>
export declare const MQTTJS_VERSION: string

export interface MqttClientEventCallbacks {
  connect: (packet: IConnackPacket) => void
  message: OnMessageCallback
  packetsend: (packet: Packet) => void
  packetreceive: (packet: Packet) => void
  disconnect: (packet: IDisconnectPacket) => void
  error: (error: Error & { code?: string | number }) => void
  close: () => void
  end: () => void
  reconnect: () => void
  offline: () => void
  outgoingEmpty: () => void
}

export declare class MqttClient extends EventEmitter {
  static readonly VERSION: string
  constructor(streamBuilder: unknown, options: IClientOptions)
  options: IClientOptions
  connected: boolean
  disconnecting: boolean
  disconnected: boolean
  reconnecting: boolean
  queue: Array<{ packet: Packet; cb: PacketCallback }>
  outgoing: Record<number, { volatile: boolean; cb: (err: Error | null, packet?: Packet) => void }>
  messageIdToTopic: Record<number, string>
  stream: EventEmitter & { destroy(err?: Error): unknown; end(): unknown; destroyed: boolean }
  messageIdProvider: IMessageIdProvider
  incomingStore: IStore
  outgoingStore: IStore

  on<K extends keyof MqttClientEventCallbacks>(event: K, cb: MqttClientEventCallbacks[K]): this
  once<K extends keyof MqttClientEventCallbacks>(event: K, cb: MqttClientEventCallbacks[K]): this
  emit<K extends keyof MqttClientEventCallbacks>(event: K, ...args: Parameters<MqttClientEventCallbacks[K]>): boolean

  connect(): this
  publish(topic: string, message: string | Buffer, opts?: IClientPublishOptions, callback?: PacketCallback): this
  publish(topic: string, message: string | Buffer, callback?: PacketCallback): this
  publishAsync(topic: string, message: string | Buffer, opts?: IClientPublishOptions): Promise<Packet | undefined>
  subscribe(topicObject: string | string[] | ISubscriptionMap, opts?: IClientSubscribeOptions, callback?: ClientSubscribeCallback): this
  subscribe(topicObject: string | string[] | ISubscriptionMap, callback?: ClientSubscribeCallback): this
  subscribeAsync(topicObject: string | string[] | ISubscriptionMap, opts?: IClientSubscribeOptions): Promise<ISubscriptionGrant[]>
  unsubscribe(topic: string | string[], opts?: IClientUnsubscribeProperties, callback?: PacketCallback): this
  unsubscribe(topic: string | string[], callback?: PacketCallback): this
  unsubscribeAsync(topic: string | string[], opts?: IClientUnsubscribeProperties): Promise<Packet | undefined>
  end(force?: boolean, opts?: { reasonCode?: number; properties?: IDisconnectPacket['properties'] }, cb?: DoneCallback): this
  end(force?: boolean, cb?: DoneCallback): this
  end(cb?: DoneCallback): this
  endAsync(force?: boolean, opts?: { reasonCode?: number; properties?: IDisconnectPacket['properties'] }): Promise<void>
  reconnect(opts?: unknown): this
  removeOutgoingMessage(messageId: number): this
  getLastMessageId(): number | null
  handleMessage(packet: IPublishPacket, callback: DoneCallback): void
  /** MQTT 5 enhanced authentication: answer the broker's AUTH (reason 24) with the next one. */
  handleAuth(packet: packet.IAuthPacket, callback: (err?: Error | null, packet?: packet.IAuthPacket) => void): void

  /** mqtt-napi extras. */
  isConnected(): boolean
  isReconnecting(): boolean
  canPublish(): boolean
  isQueued(): boolean
}

export { MqttClient as Client }

export declare function connect(brokerUrl: string, opts?: IClientOptions): MqttClient
export declare function connect(opts: IClientOptions): MqttClient
export declare function connectAsync(brokerUrl: string, opts?: IClientOptions, allowRetries?: boolean): Promise<MqttClient>
export declare function connectAsync(opts: IClientOptions): Promise<MqttClient>

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
  ReasonCodes: typeof ReasonCodes
  ErrorWithReasonCode: typeof ErrorWithReasonCode
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
