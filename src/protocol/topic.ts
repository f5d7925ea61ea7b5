import { MqttProtocolError } from './errors.js';

/** The prefix of a shared subscription filter [MQTT-4.8.2-1]. */
export const SHARE_PREFIX = '$share/';

/** A shared subscription filter split into its parts. */
export interface SharedFilter {
  group: string;
  filter: string;
}

/**
 * Why a topic name is not valid, or undefined when it is: non-empty [MQTT-4.7.3-1],
 * no wildcards [MQTT-3.3.2-2] [MQTT-4.7.0-1], at most 65,535 bytes [MQTT-4.7.3-3].
 * (U+0000 and UTF-8 well-formedness are checked where bytes are decoded.)
 */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'topic name is empty';
  if (topic.includes('+') || topic.includes('#')) return 'topic name contains a wildcard';
  if (topic.includes('\u0000')) return 'topic name contains U+0000';
  return undefined;
}

/**
 * Why a topic filter is not valid, or undefined when it is: non-empty [MQTT-4.7.3-1];
 * `#` alone in the last level [MQTT-4.7.1-2]; `+` alone in its level [MQTT-4.7.1-3];
 * a shared filter has a non-empty share name without wildcards or `/` and a valid
 * filter [MQTT-4.8.2-1] [MQTT-4.8.2-2].
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'topic filter is empty';
  if (filter.includes('\u0000')) return 'topic filter contains U+0000';
  if (filter.startsWith(SHARE_PREFIX)) {
    const rest = filter.slice(SHARE_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return 'shared subscription needs $share/{ShareName}/{filter}';
    const group = rest.slice(0, slash);
    if (group.includes('+') || group.includes('#')) return 'share name contains a wildcard';
    const inner = rest.slice(slash + 1);
    if (inner.length === 0) return 'shared subscription has an empty topic filter';
    return plainFilterProblem(inner);
  }
  return plainFilterProblem(filter);
}

function plainFilterProblem(filter: string): string | undefined {
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "'#' must be the whole of the last level";
    }
    if (level.includes('+') && level !== '+') return "'+' must be the whole of its level";
  }
  return undefined;
}

/** Throws a 0x8F Topic Filter invalid error when the filter is not valid. */
export function assertTopicFilter(filter: string): void {
  const problem = topicFilterProblem(filter);
  if (problem) throw new MqttProtocolError(0x8f, problem);
}

/** Throws a 0x90 Topic Name invalid error when the name is not valid. */
export function assertTopicName(topic: string): void {
  const problem = topicNameProblem(topic);
  if (problem) throw new MqttProtocolError(0x90, problem);
}

/** Splits `$share/group/filter`; undefined for a filter that is not shared. */
export function parseSharedFilter(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return { group: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/** True when the filter contains `+` or `#`. */
export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * The reference matcher: does a valid filter match a valid topic name? Topics that
 * start with `$` are not matched by a leading wildcard [MQTT-4.7.2-1]. `sport/#`
 * also matches `sport` [MQTT-4.7.1-2]. The broker's router is checked against this.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
