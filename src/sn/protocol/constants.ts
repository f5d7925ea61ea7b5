/**
 * Message types, return codes and sizes of MQTT-SN v1.2 (MQTT For Sensor Networks
 * Protocol Specification Version 1.2, section 5).
 */

/**
 * The MsgType octet of each message [MQTT-SN-1.2 5.2.2, Table 3].
 * Tests: "the fixtures cover every message type of the spec", "rejects the reserved MsgType 0x03 (UNKNOWN_TYPE)".
 */
export const SnMsgType = {
  ADVERTISE: 0x00,
  SEARCHGW: 0x01,
  GWINFO: 0x02,
  CONNECT: 0x04,
  CONNACK: 0x05,
  WILLTOPICREQ: 0x06,
  WILLTOPIC: 0x07,
  WILLMSGREQ: 0x08,
  WILLMSG: 0x09,
  REGISTER: 0x0a,
  REGACK: 0x0b,
  PUBLISH: 0x0c,
  PUBACK: 0x0d,
  PUBCOMP: 0x0e,
  PUBREC: 0x0f,
  PUBREL: 0x10,
  SUBSCRIBE: 0x12,
  SUBACK: 0x13,
  UNSUBSCRIBE: 0x14,
  UNSUBACK: 0x15,
  PINGREQ: 0x16,
  PINGRESP: 0x17,
  DISCONNECT: 0x18,
  WILLTOPICUPD: 0x1a,
  WILLTOPICRESP: 0x1b,
  WILLMSGUPD: 0x1c,
  WILLMSGRESP: 0x1d,
  /** The Forwarder Encapsulation wrapper [MQTT-SN-1.2 5.5]. */
  ENCAPSULATED: 0xfe,
} as const;

/** One of the {@link SnMsgType} values. */
export type SnMsgTypeCode = (typeof SnMsgType)[keyof typeof SnMsgType];

/** Upper-case names indexed by message type, for logs and traces. */
export const snMsgTypeNames: Readonly<Record<SnMsgTypeCode, string>> = {
  0x00: 'ADVERTISE', 0x01: 'SEARCHGW', 0x02: 'GWINFO', 0x04: 'CONNECT', 0x05: 'CONNACK',
  0x06: 'WILLTOPICREQ', 0x07: 'WILLTOPIC', 0x08: 'WILLMSGREQ', 0x09: 'WILLMSG', 0x0a: 'REGISTER',
  0x0b: 'REGACK', 0x0c: 'PUBLISH', 0x0d: 'PUBACK', 0x0e: 'PUBCOMP', 0x0f: 'PUBREC', 0x10: 'PUBREL',
  0x12: 'SUBSCRIBE', 0x13: 'SUBACK', 0x14: 'UNSUBSCRIBE', 0x15: 'UNSUBACK', 0x16: 'PINGREQ',
  0x17: 'PINGRESP', 0x18: 'DISCONNECT', 0x1a: 'WILLTOPICUPD', 0x1b: 'WILLTOPICRESP',
  0x1c: 'WILLMSGUPD', 0x1d: 'WILLMSGRESP', 0xfe: 'ENCAPSULATED',
};

/**
 * True for the message types the spec defines; the others are reserved [MQTT-SN-1.2 5.2.2].
 * Test: "knows the defined message types and names the reserved ones".
 */
export function isSnMsgType(type: number): type is SnMsgTypeCode {
  return Object.hasOwn(snMsgTypeNames, type);
}

/** The name of a message type, or `RESERVED(0x03)` for a type the spec reserves. */
export function snMsgTypeName(type: number): string {
  return isSnMsgType(type) ? snMsgTypeNames[type] : `RESERVED(0x${type.toString(16).padStart(2, '0')})`;
}

/**
 * ReturnCode values [MQTT-SN-1.2 5.3.10]; 0x04 to 0xFF are reserved.
 * Test: "rejects a CONNACK with the reserved ReturnCode 0x04 (INVALID_RETURN_CODE)".
 */
export const SnReturnCode = {
  ACCEPTED: 0x00,
  REJECTED_CONGESTION: 0x01,
  REJECTED_INVALID_TOPIC_ID: 0x02,
  REJECTED_NOT_SUPPORTED: 0x03,
} as const;

/** One of the {@link SnReturnCode} values. */
export type SnReturnCodeValue = (typeof SnReturnCode)[keyof typeof SnReturnCode];

/** Readable return code names, for logs. */
export const snReturnCodeNames: Readonly<Record<SnReturnCodeValue, string>> = {
  0x00: 'Accepted',
  0x01: 'Rejected: congestion',
  0x02: 'Rejected: invalid topic ID',
  0x03: 'Rejected: not supported',
};

/**
 * TopicIdType wire values, the two low bits of the Flags octet [MQTT-SN-1.2 5.3.4]; 0b11 is
 * reserved. Test: "rejects TopicIdType 0b11 as reserved".
 */
export const SnTopicIdType = {
  NORMAL: 0b00,
  PREDEFINED: 0b01,
  SHORT_NAME: 0b10,
} as const;

/** The only ProtocolId v1.2 defines, carried by CONNECT [MQTT-SN-1.2 5.3.8]. */
export const SN_PROTOCOL_ID = 0x01;

/** The first octet that announces the three-octet Length form [MQTT-SN-1.2 5.2.1]. */
export const SN_LONG_LENGTH_MARKER = 0x01;

/** The largest message, Length field included, that the one-octet Length form can express. */
export const SN_MAX_SHORT_FORM_LENGTH = 255;

/** The largest message the three-octet Length form can express. */
export const SN_MAX_MESSAGE_LENGTH = 0xffff;

/**
 * A short topic name always fills the two-octet TopicId field [MQTT-SN-1.2 5.3.11].
 * Test: "refuses a short topic name of three characters (INVALID_SHORT_TOPIC)".
 */
export const SN_SHORT_TOPIC_NAME_LENGTH = 2;

/**
 * The encapsulation header has a one-octet Length covering itself, MsgType, Ctrl and the
 * Wireless Node Id, so the node id is at most 255 - 3 octets [MQTT-SN-1.2 5.5].
 * Test: "carries a Wireless Node Id of the largest size, 252 octets".
 */
export const SN_MAX_WIRELESS_NODE_ID_LENGTH = 252;

/**
 * Topic ids 0x0000 and 0xFFFF are reserved [MQTT-SN-1.2 5.3.11]; the codec still decodes
 * them, since a gateway answers such a PUBLISH with a REGACK or PUBACK return code.
 * Test: "treats topic ids 0x0000 and 0xFFFF as reserved".
 */
export function isReservedSnTopicId(topicId: number): boolean {
  return topicId === 0x0000 || topicId === 0xffff;
}
