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

/** `-V`: `31`/`mqttv31`, `311`/`mqttv311`, `5`/`mqttv5` as mosquitto spells them. */
export function parseProtocolVersion(text: string): ProtocolVersion {
  switch (text.toLowerCase()) {
    case '31': case 'mqttv31': return 3;
    case '311': case 'mqttv311': return 4;
    case '5': case 'mqttv5': return 5;
    default: throw new InvalidArgumentError('use 31, 311 or 5 (or mqttv31, mqttv311, mqttv5).');
  }
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
