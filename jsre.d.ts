// Types of `mqtt-napi/jsre`: JSRE's mqtt module on Node.

import type { EventEmitter } from 'node:events'
import type { ConnectionOptions } from 'node:tls'

/** A socket address, as JSRE's `socket.sockaddr(ip, port)` makes it. */
export interface SockAddr {
  domain?: number
  addr: string
  port: number
}

/** Node's TLS options, with `server` the name to verify (and send as SNI). */
export interface TlsOptions extends Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'passphrase' | 'rejectUnauthorized' | 'minVersion' | 'maxVersion' | 'ciphers'> {
  server?: string
}

export interface ClientOptions {
  /** The client id. */
  client?: string | Buffer
  user?: string
  passwd?: string | Buffer
  /** Seconds; default 60. */
  keepalive?: number
  /** With true, topic, message and qos are the will. */
  will?: boolean
  qos?: 0 | 1 | 2
  topic?: string
  message?: string | Buffer
}

export interface PublishOptions {
  qos?: 0 | 1 | 2
  retain?: boolean
}

export interface SubscribeOptions {
  qos?: 0 | 1 | 2
}

export interface Message {
  topic: string
  message: Buffer
  qos: 0 | 1 | 2
  /** The packet id, for QoS 1 and 2. */
  packetId: number | undefined
}

export declare class Client extends EventEmitter {
  /** Sends CONNECT; `callback(client)` once the broker accepted it. */
  connect(clientOpt: ClientOptions, callback?: (client: Client) => void): void
  /** DISCONNECT once the QoS 1 and 2 messages in flight are acknowledged, then the socket. */
  close(): void
  isConnected(): boolean
  /** Whether sent messages wait for the broker's acknowledgement. */
  isQueued(): boolean
  publish(topic: string, message: string | Buffer, callback?: (error?: Error) => void): void
  publish(topic: string, message: string | Buffer, options?: PublishOptions, callback?: (error?: Error) => void): void
  subscribe(topic: string, callback?: (error?: Error) => void): void
  subscribe(topic: string, options?: SubscribeOptions, callback?: (error?: Error) => void): void
  unsubscribe(topic: string, callback?: (error?: Error) => void): void
  on(event: 'connect' | 'disconnect' | 'close', listener: () => void): this
  on(event: 'error', listener: (error: Error) => void): this
  on(event: 'message', listener: (data: Message) => void): this
}

/** Connects TCP (TLS with `tlsOpt`) in the background; `remote` is undefined on failure. */
export declare function open(saddr: SockAddr, tlsOpt: TlsOptions | undefined | null, callback: (client: Client, remote?: SockAddr) => void, bufSize?: number): Client
/** Connects TCP before returning, blocking the thread for at most `timeout` ms (default
 * 30000); undefined on failure. Over TLS the handshake completes after it returns. */
export declare function open(saddr: SockAddr, tlsOpt?: TlsOptions | null, timeout?: number): Client | undefined

/** 'publisher' on Node. */
export declare function mode(): 'off' | 'listener' | 'publisher'

/** `{ domain, addr, port }`. */
export declare function sockaddr(addr: string, port: number): SockAddr

declare const mqtt: {
  open: typeof open
  mode: typeof mode
  sockaddr: typeof sockaddr
  Client: typeof Client
}
export default mqtt
