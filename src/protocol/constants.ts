/** MQTT control packet types (the high nibble of the fixed header's first byte). */
export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;

/** One of the {@link PacketType} values. */
export type PacketTypeCode = (typeof PacketType)[keyof typeof PacketType];

/** Upper-case names indexed by packet type, for logs and traces. */
export const packetTypeNames: Readonly<Record<PacketTypeCode, string>> = {
  1: 'CONNECT', 2: 'CONNACK', 3: 'PUBLISH', 4: 'PUBACK', 5: 'PUBREC', 6: 'PUBREL', 7: 'PUBCOMP',
  8: 'SUBSCRIBE', 9: 'SUBACK', 10: 'UNSUBSCRIBE', 11: 'UNSUBACK', 12: 'PINGREQ', 13: 'PINGRESP',
  14: 'DISCONNECT', 15: 'AUTH',
};

/**
 * Protocol levels: 3 is MQTT 3.1 ("MQIsdp"), 4 is MQTT 3.1.1, 5 is MQTT 5.0.
 */
export type ProtocolVersion = 3 | 4 | 5;

/** Quality of service levels. */
export type QoS = 0 | 1 | 2;

/** The largest remaining length a fixed header can express (four varint bytes). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** The largest value of a Two Byte Integer, and so of packet ids and topic aliases. */
export const MAX_UINT16 = 0xffff;

/** Protocol names by level [MQTT-3.1.2-1]. */
export const protocolNameFor: Readonly<Record<ProtocolVersion, string>> = { 3: 'MQIsdp', 4: 'MQTT', 5: 'MQTT' };
