import { SnTopicIdType } from './constants.js';
import { SnDecodeError } from './errors.js';
import type { SnQoS, SnTopicIdTypeName } from './messages.js';

/** The Flags octet with every field named [MQTT-SN-1.2 5.3.4]. */
export interface SnFlags {
  dup: boolean;
  /** -1 for the wire value 0b11. */
  qos: SnQoS;
  retain: boolean;
  will: boolean;
  cleanSession: boolean;
  topicIdType: SnTopicIdTypeName;
}

/** Bit masks of the Flags octet [MQTT-SN-1.2 5.3.4]. */
export const SnFlagBits = {
  DUP: 0x80,
  QOS: 0x60,
  RETAIN: 0x10,
  WILL: 0x08,
  CLEAN_SESSION: 0x04,
  TOPIC_ID_TYPE: 0x03,
} as const;

const QOS_SHIFT = 5;

const topicIdTypeNames: Readonly<Record<number, SnTopicIdTypeName>> = {
  [SnTopicIdType.NORMAL]: 'normal',
  [SnTopicIdType.PREDEFINED]: 'predefined',
  [SnTopicIdType.SHORT_NAME]: 'short',
};

const topicIdTypeValues: Readonly<Record<SnTopicIdTypeName, number>> = {
  normal: SnTopicIdType.NORMAL,
  predefined: SnTopicIdType.PREDEFINED,
  short: SnTopicIdType.SHORT_NAME,
};

/**
 * Splits a Flags octet into named fields. TopicIdType 0b11 is reserved and raises
 * `RESERVED_TOPIC_ID_TYPE` [MQTT-SN-1.2 5.3.4]; QoS 0b11 reads as -1. Tests: "reads every
 * field from its own bits", "reads QoS 0b11 as -1", "rejects TopicIdType 0b11 as reserved".
 */
export function decodeSnFlags(octet: number, msgType?: number): SnFlags {
  const topicIdType = topicIdTypeNames[octet & SnFlagBits.TOPIC_ID_TYPE];
  if (topicIdType === undefined) {
    throw new SnDecodeError('RESERVED_TOPIC_ID_TYPE', 'TopicIdType 0b11 is reserved', msgType);
  }
  const qosBits = (octet & SnFlagBits.QOS) >> QOS_SHIFT;
  return {
    dup: (octet & SnFlagBits.DUP) !== 0,
    qos: qosBits === 3 ? -1 : (qosBits as 0 | 1 | 2),
    retain: (octet & SnFlagBits.RETAIN) !== 0,
    will: (octet & SnFlagBits.WILL) !== 0,
    cleanSession: (octet & SnFlagBits.CLEAN_SESSION) !== 0,
    topicIdType,
  };
}

/** Builds a Flags octet; fields left out are 0. The caller checks `qos` is -1, 0, 1 or 2. */
export function encodeSnFlags(flags: Partial<SnFlags>): number {
  const qos = flags.qos ?? 0;
  return (flags.dup ? SnFlagBits.DUP : 0)
    | ((qos === -1 ? 3 : qos) << QOS_SHIFT)
    | (flags.retain ? SnFlagBits.RETAIN : 0)
    | (flags.will ? SnFlagBits.WILL : 0)
    | (flags.cleanSession ? SnFlagBits.CLEAN_SESSION : 0)
    | topicIdTypeValues[flags.topicIdType ?? 'normal'];
}
