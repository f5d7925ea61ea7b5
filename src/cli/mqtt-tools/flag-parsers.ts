import { InvalidArgumentError } from 'commander';
import type { ProtocolVersion, QoS } from '../../protocol/index.js';

/** `-q`, `--will-qos`: 0, 1 or 2. */
export function parseQoS(text: string): QoS {
  if (text !== '0' && text !== '1' && text !== '2') throw new InvalidArgumentError('QoS must be 0, 1 or 2.');
  return Number(text) as QoS;
}

/** `-p`: 1 to 65535. */
export function parsePort(text: string): number {
  return parseRange(text, 1, 65_535, 'a port must be between 1 and 65535.');
}

/** `-k`: 0 (off) to 65535 seconds. */
export function parseKeepAlive(text: string): number {
  return parseRange(text, 0, 65_535, 'keep alive must be between 0 and 65535 seconds.');
}

/** A count such as `-C` or `--repeat`: 1 or more. */
export function parseCount(text: string): number {
  return parseRange(text, 1, Number.MAX_SAFE_INTEGER, 'expected a whole number above 0.');
}

/** Seconds such as `-W`: 1 or more. */
export function parseSeconds(text: string): number {
  return parseRange(text, 1, 2_147_483, 'expected a whole number of seconds above 0.');
}

/** Seconds that may be fractional and 0, such as `--repeat-delay`. */
export function parseDelaySeconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError('expected a number of seconds, 0 or more.');
  return value;
}

/**
 * Every spelling of a protocol version `-V` takes, in every tool: mosquitto's (`mqttv31`,
 * `mqttv311`, `mqttv5`, and `31`, `311`, `5`), the version numbers (`3.1`, `3.1.1`, `5.0`)
 * and the protocol levels of CONNECT (`3`, `4`, `5`).
 */
const protocolVersions: ReadonlyMap<string, ProtocolVersion> = new Map(Object.entries({
  3: ['3', '31', '3.1', 'mqttv31', 'mqttv3.1', 'v31', 'v3.1'],
  4: ['4', '311', '3.1.1', 'mqttv311', 'mqttv3.1.1', 'v311', 'v3.1.1'],
  5: ['5', '5.0', 'mqttv5', 'mqttv5.0', 'v5', 'v5.0'],
}).flatMap(([level, names]) => names.map((name) => [name, Number(level) as ProtocolVersion] as const)));

/** The help of `-V`, the same in every tool. */
export const PROTOCOL_VERSION_HELP = 'MQTT version: 3.1, 3.1.1 or 5; also mqttv31, mqttv311, mqttv5, 31, 311 and the levels 3, 4, 5';

/** `-V` of pub, sub, rr and bench: see {@link protocolVersions}; case does not matter. */
export function parseProtocolVersion(text: string): ProtocolVersion {
  const version = protocolVersions.get(text.trim().toLowerCase());
  if (version === undefined) throw new InvalidArgumentError('Use 3.1, 3.1.1 or 5 (or mqttv31, mqttv311, mqttv5, 31, 311, or the levels 3, 4, 5).');
  return version;
}

/** The Session Expiry Interval that never expires. */
export const NEVER_EXPIRES = 0xffff_ffff;

/** `-x`: seconds, or -1 / 4294967295 / ∞ for a session that never expires. */
export function parseSessionExpiry(text: string): number {
  if (text === '-1' || text === '∞') return NEVER_EXPIRES;
  return parseRange(text, 0, NEVER_EXPIRES, 'session expiry interval must be 0 to 4294967295, or -1 for no expiry.');
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseRange(text: string, min: number, max: number, message: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(message);
  const value = Number(text);
  if (value < min || value > max) throw new InvalidArgumentError(message);
  return value;
}
