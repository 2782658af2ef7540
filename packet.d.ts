// Types of require('mqtt-napi/packet'): mqtt-packet 9's API.
/// <reference types="node" />
import { EventEmitter } from 'events'

export type QoS = 0 | 1 | 2
export type PacketCmd =
  | 'auth' | 'connack' | 'connect' | 'disconnect' | 'pingreq' | 'pingresp' | 'puback'
  | 'pubcomp' | 'publish' | 'pubrel' | 'pubrec' | 'suback' | 'subscribe' | 'unsuback'
  | 'unsubscribe'

export type UserProperties = { [index: string]: string | string[] }

export interface IPacket {
  cmd: PacketCmd
  messageId?: number
  length?: number
}

export interface IConnectPacket extends IPacket {
  cmd: 'connect'
  clientId: string
  protocolVersion?: 3 | 4 | 5
  protocolId?: 'MQTT' | 'MQIsdp'
  clean?: boolean
  keepalive?: number
  username?: string
  password?: Buffer
  bridgeMode?: boolean
  will?: {
    topic: string
    payload: Buffer | string
    qos?: QoS
    retain?: boolean
    properties?: {
      willDelayInterval?: number
      payloadFormatIndicator?: boolean
      messageExpiryInterval?: number
      contentType?: string
      responseTopic?: string
      correlationData?: Buffer
      userProperties?: UserProperties
    }
  }
  properties?: {
    sessionExpiryInterval?: number
    receiveMaximum?: number
    maximumPacketSize?: number
    topicAliasMaximum?: number
    requestResponseInformation?: boolean
    requestProblemInformation?: boolean
    userProperties?: UserProperties
    authenticationMethod?: string
    authenticationData?: Buffer
  }
}

export interface IPublishPacket extends IPacket {
  cmd: 'publish'
  qos: QoS
  dup: boolean
  retain: boolean
  topic: string
  payload: string | Buffer
  properties?: {
    payloadFormatIndicator?: boolean
    messageExpiryInterval?: number
    topicAlias?: number
    responseTopic?: string
    correlationData?: Buffer
    userProperties?: UserProperties
    subscriptionIdentifier?: number | number[]
    contentType?: string
  }
}

export interface IConnackPacket extends IPacket {
  cmd: 'connack'
  returnCode?: number
  reasonCode?: number
  sessionPresent: boolean
  properties?: {
    sessionExpiryInterval?: number
    receiveMaximum?: number
    maximumQoS?: number
    retainAvailable?: boolean
    maximumPacketSize?: number
    assignedClientIdentifier?: string
    topicAliasMaximum?: number
    reasonString?: string
    userProperties?: UserProperties
    wildcardSubscriptionAvailable?: boolean
    subscriptionIdentifiersAvailable?: boolean
    sharedSubscriptionAvailable?: boolean
    serverKeepAlive?: number
    responseInformation?: string
    serverReference?: string
    authenticationMethod?: string
    authenticationData?: Buffer
  }
}

export interface ISubscription {
  topic: string
  qos: QoS
  nl?: boolean
  rap?: boolean
  rh?: number
}

export interface ISubscribePacket extends IPacket {
  cmd: 'subscribe'
  subscriptions: ISubscription[]
  properties?: { reasonString?: string; subscriptionIdentifier?: number; userProperties?: UserProperties }
}

export interface ISubackPacket extends IPacket {
  cmd: 'suback'
  reasonCode?: number
  granted: number[] | object[]
  properties?: { reasonString?: string; userProperties?: UserProperties }
}

export interface IUnsubscribePacket extends IPacket {
  cmd: 'unsubscribe'
  unsubscriptions: string[]
  properties?: { reasonString?: string; userProperties?: UserProperties }
}

export interface IUnsubackPacket extends IPacket {
  cmd: 'unsuback'
  reasonCode?: number
  granted?: number[]
  properties?: { reasonString?: string; userProperties?: UserProperties }
}

export interface IAckProperties {
  reasonString?: string
  userProperties?: UserProperties
}

export interface IPubackPacket extends IPacket { cmd: 'puback'; reasonCode?: number; properties?: IAckProperties }
export interface IPubcompPacket extends IPacket { cmd: 'pubcomp'; reasonCode?: number; properties?: IAckProperties }
export interface IPubrelPacket extends IPacket { cmd: 'pubrel'; reasonCode?: number; properties?: IAckProperties }
export interface IPubrecPacket extends IPacket { cmd: 'pubrec'; reasonCode?: number; properties?: IAckProperties }
export interface IPingreqPacket extends IPacket { cmd: 'pingreq' }
export interface IPingrespPacket extends IPacket { cmd: 'pingresp' }

export interface IDisconnectPacket extends IPacket {
  cmd: 'disconnect'
  reasonCode?: number
  properties?: {
    sessionExpiryInterval?: number
    reasonString?: string
    userProperties?: UserProperties
    serverReference?: string
  }
}

export interface IAuthPacket extends IPacket {
  cmd: 'auth'
  reasonCode: number
  properties?: {
    authenticationMethod?: string
    authenticationData?: Buffer
    reasonString?: string
    userProperties?: UserProperties
  }
}

export type Packet =
  | IConnectPacket | IPublishPacket | IConnackPacket | ISubscribePacket | ISubackPacket
  | IUnsubscribePacket | IUnsubackPacket | IPubackPacket | IPubcompPacket | IPubrelPacket
  | IPingreqPacket | IPingrespPacket | IDisconnectPacket | IPubrecPacket | IAuthPacket

export interface ParserOptions {
  protocolVersion?: 3 | 4 | 5
  /** mqtt-napi extension: refuse packets larger than this many bytes (fixed header included). */
  maxPacketSize?: number
}

export interface GenerateOptions {
  protocolVersion?: 3 | 4 | 5
  properties?: { maximumPacketSize?: number }
}

export interface Parser extends EventEmitter {
  on(event: 'packet', callback: (packet: Packet) => void): this
  on(event: 'error', callback: (error: Error & { code?: string; reasonCode?: number }) => void): this
  on(event: string, callback: (...args: any[]) => void): this
  parse(buffer: Buffer): number
}

export declare function parser(opts?: ParserOptions): Parser
export declare function generate(packet: Packet, opts?: GenerateOptions): Buffer
export declare function writeToStream(
  object: Packet,
  stream: { write(b: Buffer): boolean; destroy(e: Error): void },
  opts?: GenerateOptions
): boolean
export declare namespace writeToStream {
  let cacheNumbers: boolean
}
