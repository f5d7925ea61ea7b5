import { SN_SHORT_TOPIC_NAME_LENGTH } from './constants.js';

/**
 * True when a topic name can travel as a short topic name: exactly two octets of UTF-8
 * [MQTT-SN-1.2 5.3.11], without U+0000. A gateway uses it to pick how to address a
 * topic for a client without registering it.
 */
export function isSnShortTopicName(topicName: string): boolean {
  if (topicName.includes('\u0000') || /[\uD800-\uDFFF]/u.test(topicName)) return false;
  return Buffer.byteLength(topicName, 'utf8') === SN_SHORT_TOPIC_NAME_LENGTH;
}
