import type { Directive } from './directive.js';
import { ConfigError } from './errors.js';
import { integerWord, checkTopicName, parseInteger, parseName, parseText } from './values.js';
import { redactRedisUrl } from './redis-url.js';

/**
 * Value parsers and writers of single options, where mosquitto's language has a special
 * value: each "no limit" is translated here, at the config boundary, into what the core
 * understands (`Infinity`, or the protocol's own maximum), and back for `--test-config`.
 */

/** A topic id an MQTT-SN client may use without registering it. */
export interface PredefinedTopic {
  id: number;
  topic: string;
}

/** The largest MQTT packet: a 268435455-byte remaining length. */
export const MAX_MQTT_PACKET_SIZE = 268435455;

/** Largest four-byte integer; as a session expiry cap, no cap. */
export const NO_EXPIRY_CAP = 0xffffffff;

/** An integer in range where mosquitto's `0` means no limit: the core gets Infinity. */
export function zeroIsUnlimited(min: number, max: number): (directive: Directive) => number {
  return (directive) => {
    const value = parseInteger(directive, min, max);
    return value === 0 ? Infinity : value;
  };
}

/** Writes Infinity back as mosquitto's `0`. */
export function unlimitedAsZero(value: number): number {
  return value === Infinity ? 0 : value;
}

/** mosquitto refuses a maximum packet size under 20 bytes; `0` is its "no limit", the protocol's maximum. */
export function parseMaxPacketSize(directive: Directive): number {
  const size = parseInteger(directive, 0, MAX_MQTT_PACKET_SIZE);
  if (size !== 0 && size < 20) {
    throw new ConfigError(`invalid max_packet_size '${size}': expected 0 (no limit) or 20 to ${MAX_MQTT_PACKET_SIZE}`, directive.origin);
  }
  return size === 0 ? MAX_MQTT_PACKET_SIZE : size;
}

/** The v5 Receive Maximum is 1..65535, so mosquitto's `0` (no limit) becomes 65535. */
export function parseInflight(directive: Directive): number {
  const count = parseInteger(directive, 0, 65535);
  return count === 0 ? 65535 : count;
}

/** mosquitto treats a negative `max_connections` (and 0) as "no limit": Infinity. */
export function parseMaxConnections(directive: Directive): number {
  const count = parseInteger(directive, -2147483648, 2147483647);
  return count <= 0 ? Infinity : count;
}

/** Writes Infinity back as mosquitto's `-1`. */
export function formatMaxConnections(count: number): number {
  return count === Infinity ? -1 : count;
}

export function parseWebsocketsPath(directive: Directive): string {
  const path = parseName(directive);
  if (!path.startsWith('/')) throw new ConfigError(`invalid websockets_path '${path}': must start with '/'`, directive.origin);
  return path;
}

/** `mqttsn_predefined_topic ID TOPIC`: the topic is the rest of the line (topics may hold blanks). */
export function parsePredefinedTopic(directive: Directive): PredefinedTopic[] {
  const match = /^(\S+)[ \t]+(.+)$/.exec(directive.text);
  if (!match) throw new ConfigError('mqttsn_predefined_topic needs a topic id and a topic name', directive.origin);
  const id = integerWord(directive, match[1]!, 1, 65534);
  return [{ id, topic: checkTopicName(directive, match[2]!.trim()) }];
}

export function parseTracePatterns(directive: Directive): string[] {
  if (directive.words.length === 0) throw new ConfigError('missing value for trace_clients', directive.origin);
  return directive.words;
}

export function parseResponsePrefix(directive: Directive): string {
  return checkTopicName(directive, parseText(directive));
}

/** What secrets are replaced with in `--test-config` output. */
export const REDACTED = 'redacted';

/** A Redis URL may carry passwords (a `redis+sentinel://` one two): keep the rest, which is what one needs to debug. */
export function redactUrl(url: string): string {
  return redactRedisUrl(url, REDACTED);
}
