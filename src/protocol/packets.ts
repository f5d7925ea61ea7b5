import type { PacketType, ProtocolVersion, QoS } from './constants.js';

/** A user property: name and value, order and duplicates preserved [MQTT-3.3.2-17] [MQTT-3.3.2-18]. */
export type UserProperty = readonly [name: string, value: string];

/**
 * MQTT 5.0 properties (section 2.2.2), one optional field per property identifier.
 * Which of them a packet may carry is checked by the codec against {@link propertyDefinitions}.
 * Byte-valued flags keep their wire value (0 or 1) so that encode(decode(x)) is exact.
 */
export interface Properties {
  /** 0x01: 0 unspecified bytes, 1 UTF-8 payload. */
  payloadFormatIndicator?: number;
  /** 0x02: seconds. */
  messageExpiryInterval?: number;
  /** 0x03 */
  contentType?: string;
  /** 0x08 */
  responseTopic?: string;
  /** 0x09 */
  correlationData?: Buffer;
  /** 0x0B: one in SUBSCRIBE, any number in PUBLISH; 1 to 268,435,455. */
  subscriptionIdentifiers?: number[];
  /** 0x11: seconds; 0xFFFFFFFF never expires. */
  sessionExpiryInterval?: number;
  /** 0x12 */
  assignedClientIdentifier?: string;
  /** 0x13: seconds. */
  serverKeepAlive?: number;
  /** 0x15 */
  authenticationMethod?: string;
  /** 0x16 */
  authenticationData?: Buffer;
  /** 0x17: 0 or 1. */
  requestProblemInformation?: number;
  /** 0x18: seconds. */
  willDelayInterval?: number;
  /** 0x19: 0 or 1. */
  requestResponseInformation?: number;
  /** 0x1A */
  responseInformation?: string;
  /** 0x1C */
  serverReference?: string;
  /** 0x1F */
  reasonString?: string;
  /** 0x21: 1 to 65,535. */
  receiveMaximum?: number;
  /** 0x22 */
  topicAliasMaximum?: number;
  /** 0x23: 1 to 65,535. */
  topicAlias?: number;
  /** 0x24: 0 or 1. */
  maximumQoS?: number;
  /** 0x25: 0 or 1. */
  retainAvailable?: number;
  /** 0x26: any number, order kept. */
  userProperties?: UserProperty[];
  /** 0x27: bytes, 1 to 268,435,460 (some more than a remaining length can hold). */
  maximumPacketSize?: number;
  /** 0x28: 0 or 1. */
  wildcardSubscriptionAvailable?: number;
  /** 0x29: 0 or 1. */
  subscriptionIdentifiersAvailable?: number;
  /** 0x2A: 0 or 1. */
  sharedSubscriptionAvailable?: number;
}

/** The Will Message carried by a CONNECT [MQTT-3.1.2-9]. */
export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** v5 will properties (delay, expiry, content type, ...). */
  properties?: Properties;
}

export interface ConnectPacket {
  type: typeof PacketType.CONNECT;
  /** 'MQTT' for levels 4 and 5, 'MQIsdp' for level 3. */
  protocolName: string;
  protocolVersion: ProtocolVersion;
  /**
   * The client is a broker bridging into this one: mosquitto's bridge bit, 0x80 in the
   * protocol level (`try_private`), which is not part of the MQTT specification.
   */
  bridge?: boolean;
  /** Clean Session (3.1.1) or Clean Start (5.0). */
  clean: boolean;
  keepAlive: number;
  clientId: string;
  will?: Will;
  username?: string;
  password?: Buffer;
  properties?: Properties;
}

export interface ConnackPacket {
  type: typeof PacketType.CONNACK;
  sessionPresent: boolean;
  /** A v5 reason code, or a 3.1.1 return code (0 to 5) when encoded for levels 3 and 4. */
  reasonCode: number;
  properties?: Properties;
}

export interface PublishPacket {
  type: typeof PacketType.PUBLISH;
  /** May be empty in v5 when a topic alias is given (section 3.3.2.1). */
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present when qos > 0 [MQTT-2.2.1-2]. */
  packetId?: number;
  properties?: Properties;
}

/** PUBACK, PUBREC, PUBREL and PUBCOMP share one shape. */
export interface AckPacket<T extends number> {
  type: T;
  packetId: number;
  /** v5 only; absent means 0x00 Success. */
  reasonCode?: number;
  properties?: Properties;
}
export type PubackPacket = AckPacket<typeof PacketType.PUBACK>;
export type PubrecPacket = AckPacket<typeof PacketType.PUBREC>;
export type PubrelPacket = AckPacket<typeof PacketType.PUBREL>;
export type PubcompPacket = AckPacket<typeof PacketType.PUBCOMP>;

/** Retain Handling option of a v5 subscription (section 3.8.3.1). */
export type RetainHandling = 0 | 1 | 2;

/** One topic filter of a SUBSCRIBE with its options. */
export interface Subscription {
  topicFilter: string;
  /** Maximum QoS. */
  qos: QoS;
  /** v5: do not deliver the subscriber's own messages [MQTT-3.8.3-3]. */
  noLocal?: boolean;
  /** v5: keep the RETAIN flag as published [MQTT-3.3.1-13]. */
  retainAsPublished?: boolean;
  /** v5: when to send retained messages on subscribe. */
  retainHandling?: RetainHandling;
}

export interface SubscribePacket {
  type: typeof PacketType.SUBSCRIBE;
  packetId: number;
  subscriptions: Subscription[];
  properties?: Properties;
}

export interface SubackPacket {
  type: typeof PacketType.SUBACK;
  packetId: number;
  /** One per requested filter: granted QoS or a failure code (0x80 in 3.1.1). */
  reasonCodes: number[];
  properties?: Properties;
}

export interface UnsubscribePacket {
  type: typeof PacketType.UNSUBSCRIBE;
  packetId: number;
  topicFilters: string[];
  properties?: Properties;
}

export interface UnsubackPacket {
  type: typeof PacketType.UNSUBACK;
  packetId: number;
  /** v5 only: one per filter. */
  reasonCodes?: number[];
  properties?: Properties;
}

export interface PingreqPacket {
  type: typeof PacketType.PINGREQ;
}

export interface PingrespPacket {
  type: typeof PacketType.PINGRESP;
}

export interface DisconnectPacket {
  type: typeof PacketType.DISCONNECT;
  /** v5 only; absent means 0x00 Normal disconnection. */
  reasonCode?: number;
  properties?: Properties;
}

export interface AuthPacket {
  type: typeof PacketType.AUTH;
  /** 0x00 success, 0x18 continue, 0x19 re-authenticate; absent means 0x00. */
  reasonCode?: number;
  properties?: Properties;
}

/** Every MQTT control packet, discriminated by `type`. */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** The packet of a given type. */
export type PacketOf<T extends Packet['type']> = Extract<Packet, { type: T }>;
