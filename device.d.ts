// Types of `mqtt-napi/device`: a device runtime's MQTT API (its global `mqtt` object) on Node.

/** `{ code, message }`: 0 OK, 1 connection failed, 10 illegal argument, 11 disconnected,
 * 12 publish failed, 13 subscribe failed, 14 unsubscribe failed, 255 other error. */
export declare class MqttError extends Error {
  readonly code: 0 | 1 | 10 | 11 | 12 | 13 | 14 | 255
  readonly message: string
}

export declare const Codes: Readonly<{
  OK: 0
  CONNECTION_FAILED: 1
  ILLEGAL_ARGUMENT: 10
  DISCONNECTED: 11
  PUBLISH_FAILED: 12
  SUBSCRIBE_FAILED: 13
  UNSUBSCRIBE_FAILED: 14
  OTHER: 255
}>

/** The values of `client.get('errnoConnect')`. */
export declare const Errno: Readonly<{
  OK: 0
  UNACCEPTABLE_PROTOCOL_VERSION: 1
  IDENTIFIER_REJECTED: 2
  SERVER_UNAVAILABLE: 3
  BAD_USERNAME_OR_PASSWORD: 4
  NOT_AUTHORIZED: 5
  CONNECTION_FAILED: 6
  TLS_ERROR: 7
}>

export interface ConnectOptions {
  /** Seconds, 0 (off) to 2147483647 (MQTT carries at most 65535); default 60. */
  keepalive?: number
  /** 1-127 bytes; default `mqttjs_` and 8 random decimal digits. */
  clientId?: string
  /** `MQTT` (default) with protocolVersion 4, `MQIsdp` with 3. */
  protocolId?: 'MQTT' | 'MQIsdp'
  protocolVersion?: 3 | 4
  /** Milliseconds between a disconnection and the next attempt, 0-10000; default 1000. */
  reconnectPeriod?: number
  /** Milliseconds to wait for CONNACK; 0 waits without limit; default 30000. */
  connectTimeout?: number
  /** 1-511 bytes. */
  username?: string
  /** 1-511 bytes. */
  password?: string
  /** Automatic reconnection retries: 0 (default) none, 1-999, or 1855 without end. */
  reconnectCount?: number
  /** 128-65536, default 2560: topic + message + 9 larger than this is an argument error. */
  sendBuffSize?: number
  /** 128-65536, default 512: a received topic + message + 9 larger than this is dropped. */
  recvBuffSize?: number
}

export interface PublishOptions {
  qos?: 0 | 1 | 2
  retain?: boolean
  dup?: boolean
}

export interface SubscribeOptions {
  qos?: 0 | 1 | 2
  /** Messages on this subscription come as ArrayBuffer rather than string. */
  bin?: boolean
}

/** The CONNACK as MQTT.js gives it. */
export interface Connack {
  cmd: 'connack'
  returnCode: number
  sessionPresent: boolean
}

export declare class Client {
  on(event: 'connect', callback: (connack: Connack) => void): void
  on(event: 'reconnect' | 'close' | 'end', callback: () => void): void
  on(event: 'error', callback: (err: MqttError) => void): void
  on(event: 'message', callback: (topic: string, message: string | ArrayBuffer) => void): void
  publish(topic: string, message: string | ArrayBuffer | ArrayBufferView, callback?: (err: MqttError) => void): MqttError | undefined
  publish(topic: string, message: string | ArrayBuffer | ArrayBufferView, options?: PublishOptions, callback?: (err: MqttError) => void): MqttError | undefined
  subscribe(topic: string, callback?: (err: MqttError) => void): MqttError | undefined
  subscribe(topic: string, options?: SubscribeOptions, callback?: (err: MqttError) => void): MqttError | undefined
  unsubscribe(topic: string, callback?: (err: MqttError) => void): MqttError | undefined
  /** Disconnects for good; the callback runs once the connection is released. */
  end(callback?: () => void): void
  /** Reconnects after reconnectPeriod (disconnecting first when connected). */
  reconnect(): void
  isConnected(): boolean
  isReconnecting(): boolean
  canPublish(): boolean
  get(name: 'errnoConnect'): number
  get(name: string): number | undefined
}

/** A Client connecting to `mqtt://` or `mqtts://` host[:port] (default port 1883), or
 * undefined when an argument is invalid. */
export declare function connect(url: string, options?: ConnectOptions): Client | undefined

/** A PEM string for later `mqtts://` connections; no value clears the setting. */
export declare function set(name: 'ssl.ca' | 'ssl.cert' | 'ssl.key', value?: string): void

declare const mqtt: {
  connect: typeof connect
  set: typeof set
  Client: typeof Client
  MqttError: typeof MqttError
  Codes: typeof Codes
  Errno: typeof Errno
}
export default mqtt
