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
  if (tooLong(topic)) return 'topic name is longer than 65,535 bytes';
  return undefined;
}

/**
 * Why a topic filter is not valid, or undefined when it is: non-empty [MQTT-4.7.3-1];
 * `#` alone in the last level [MQTT-4.7.1-2]; `+` alone in its level [MQTT-4.7.1-3]
 * (v5 numbers these two [MQTT-4.7.1-1] and [MQTT-4.7.1-2]); a shared filter has a
 * non-empty share name without wildcards and a valid filter after the next `/`
 * [MQTT-4.8.2-1] [MQTT-4.8.2-2]. Checked by test/protocol/topic.test.ts.
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return topicFilterSyntaxProblem(filter);
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return 'shared subscription needs $share/{ShareName}/{filter}';
  const group = rest.slice(0, slash);
  if (group.includes('+') || group.includes('#')) return 'share name contains a wildcard';
  const inner = rest.slice(slash + 1);
  if (inner.length === 0) return 'shared subscription has an empty topic filter';
  return topicFilterSyntaxProblem(inner);
}

/**
 * Why a string is not a valid plain topic filter, ignoring what `$share/` means:
 * empty [MQTT-4.7.3-1], U+0000 [MQTT-1.5.4-2] or a misplaced wildcard
 * [MQTT-4.7.1-2] [MQTT-4.7.1-3]. The MQTT 3.1.1 decoder applies this to whole filters.
 */
export function topicFilterSyntaxProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'topic filter is empty';
  if (filter.includes('\u0000')) return 'topic filter contains U+0000';
  if (tooLong(filter)) return 'topic filter is longer than 65,535 bytes';
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

/** More than 65,535 bytes in UTF-8 [MQTT-4.7.3-3]; a UTF-16 unit takes at most 3 bytes. */
function tooLong(s: string): boolean {
  return s.length > 21_845 && Buffer.byteLength(s) > 0xffff;
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

/**
 * Splits `$share/group/filter`; undefined when the filter does not start with
 * `$share/` followed by a non-empty share name and `/`. It does not validate the
 * parts: check {@link topicFilterProblem} first (`$share/g/` splits into an empty filter).
 */
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
 * also matches `sport` (section 4.7.1.2). The broker's router is checked against this.
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
