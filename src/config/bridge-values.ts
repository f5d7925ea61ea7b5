import { topicFilterProblem, topicNameProblem } from '../protocol/topic.js';
import type { Directive } from './directive.js';
import { ConfigError } from './errors.js';
import { addressUrl, type BridgeAddress, type BridgeDirection, type BridgeRestart, type BridgeTopic } from '../bridge/options.js';
import { integerWord, parseChoice, parseText, singleWord } from './values.js';

/**
 * Value parsers and writers of the bridge options (`options-bridge.ts`), as mosquitto.conf(5)
 * reads each: addresses, topic lines with their prefix rules, restart_timeout's two forms.
 */

/** A remote address as read: `host[:port]` (scheme undefined until resolved) or a URL. */
export type BridgeAddressSpec = BridgeAddress;

function fail(directive: Directive, problem: string): never {
  throw new ConfigError(problem, directive.origin);
}

const URL_SCHEMES: Readonly<Record<string, number>> = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };

/** `wss://host:port/path`: a remote reachable over WebSocket (mosquitto cannot), or an explicit mqtt(s) URL. */
function parseAddressUrl(directive: Directive, word: string): BridgeAddressSpec {
  let url: URL;
  try {
    url = new URL(word);
  } catch {
    return fail(directive, `invalid address '${word}': not a URL`);
  }
  const scheme = url.protocol as BridgeAddressSpec['scheme'] & string;
  const port = URL_SCHEMES[scheme];
  if (port === undefined) fail(directive, `invalid address '${word}': expected mqtt://, mqtts://, ws:// or wss://`);
  if (url.username || url.password) fail(directive, `invalid address '${word}': give the user name and password with remote_username and remote_password`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') fail(directive, `invalid address '${word}': no host`);
  const path = scheme.startsWith('ws') ? `${url.pathname}${url.search}` : '';
  return { scheme, host, port: url.port === '' ? port : Number(url.port), path };
}

/**
 * `host[:port]` as mosquitto reads it: the port follows the last colon, so an IPv6 address
 * needs one (`::1:1883`, or `[::1]:1883`); without a colon the port is 1883.
 */
function parseHostPort(directive: Directive, word: string): BridgeAddressSpec {
  const colon = word.lastIndexOf(':');
  if (colon < 0) return { scheme: undefined, host: word, port: 1883, path: '' };
  const host = word.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  if (host === '' || (host.includes(':') && !isIpv6(host))) {
    fail(directive, `invalid address '${word}': an IPv6 address needs a port (${word}:1883)`);
  }
  const port = integerWord({ ...directive, key: 'address port' }, word.slice(colon + 1), 1, 65535);
  return { scheme: undefined, host, port, path: '' };
}

/** An IPv6 address literal, as the WHATWG URL parser reads one (config opens no sockets, so not node:net). */
function isIpv6(host: string): boolean {
  try {
    return new URL(`mqtt://[${host}]/`).hostname !== '';
  } catch {
    return false;
  }
}

/** `address host[:port] [host[:port] ...] [# comment]`; `addresses` is mosquitto's other spelling. */
export function parseAddresses(directive: Directive): BridgeAddressSpec[] {
  const words: string[] = [];
  for (const word of directive.words) {
    if (word.startsWith('#')) break;
    words.push(word);
  }
  if (words.length === 0) fail(directive, `missing value for ${directive.key}`);
  return words.map((word) => (word.includes('://') ? parseAddressUrl(directive, word) : parseHostPort(directive, word)));
}

function checkPrefix(directive: Directive, which: 'local' | 'remote', prefix: string, pattern: string): void {
  const problem = topicNameProblem(prefix);
  if (problem) fail(directive, `invalid bridge topic ${which} prefix '${prefix}': ${problem}`);
  const combined = `${prefix}${pattern}`;
  const combinedProblem = topicFilterProblem(combined);
  if (combinedProblem) fail(directive, `invalid bridge topic ${which} prefix and pattern combination '${combined}': ${combinedProblem}`);
}

/**
 * `topic PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]` with mosquitto.conf(5)'s
 * rules: direction `out` and QoS 0 by default, `""` for an empty pattern or prefix, prefixes are
 * topic names whose combination with the pattern must be a valid filter, and an empty pattern
 * needs both prefixes (it bridges the one topic they name).
 */
export function parseTopic(directive: Directive): BridgeTopic[] {
  // From the QoS on, a word starting with '#' is a comment (the pattern itself may be '#').
  const comment = directive.words.findIndex((word, index) => index >= 2 && word.startsWith('#'));
  const words = comment < 0 ? directive.words : directive.words.slice(0, comment);
  const [patternWord, directionWord, qosWord, localWord, remoteWord, extra] = words;
  if (patternWord === undefined) fail(directive, 'missing value for topic');
  if (extra !== undefined) fail(directive, `topic takes a pattern, a direction, a QoS and two prefixes, got '${directive.text}'`);
  const pattern = patternWord === '""' ? '' : patternWord;
  let direction: BridgeDirection = 'out';
  if (directionWord !== undefined) {
    const lower = directionWord.toLowerCase();
    if (lower !== 'out' && lower !== 'in' && lower !== 'both') fail(directive, `invalid bridge topic direction '${directionWord}': expected out, in or both`);
    direction = lower;
  }
  const qos = (qosWord === undefined ? 0 : integerWord({ ...directive, key: 'bridge QoS level' }, qosWord, 0, 2)) as 0 | 1 | 2;
  const localPrefix = localWord === undefined || localWord === '""' ? '' : localWord;
  const remotePrefix = remoteWord === undefined || remoteWord === '""' ? '' : remoteWord;
  if (pattern === '' && (localPrefix === '' || remotePrefix === '')) {
    fail(directive, 'invalid bridge remapping: an empty topic ("") needs both a local and a remote prefix');
  }
  if (pattern !== '') {
    const problem = pattern.startsWith('$share/') ? 'a shared subscription cannot be bridged' : topicFilterProblem(pattern);
    if (problem) fail(directive, `invalid bridge topic '${pattern}': ${problem}`);
  }
  if (localPrefix !== '') checkPrefix(directive, 'local', localPrefix, pattern);
  if (remotePrefix !== '') checkPrefix(directive, 'remote', remotePrefix, pattern);
  return [{ pattern, direction, qos, localPrefix, remotePrefix }];
}

/** `restart_timeout SECONDS` (constant) or `restart_timeout BASE CAP` (backoff with jitter). */
export function parseRestart(directive: Directive): BridgeRestart {
  const words = directive.words.filter((w, i) => i === 0 || !w.startsWith('#'));
  const [first, second, extra] = words;
  if (first === undefined) fail(directive, 'missing value for restart_timeout');
  if (extra !== undefined) fail(directive, `restart_timeout takes a time or a base and a cap, got '${directive.text}'`);
  // mosquitto raises anything under one second to one.
  const base = Math.max(1, integerWord(directive, first, 0, 86400));
  if (second === undefined) return { kind: 'constant', seconds: base };
  const cap = integerWord(directive, second, 1, 86400);
  if (cap < base) fail(directive, `restart_timeout: the backoff cap ${cap} is lower than the base ${base}`);
  return { kind: 'backoff', baseSeconds: base, capSeconds: cap };
}

export function parseProtocolVersion(directive: Directive): 3 | 4 | 5 {
  const version = parseChoice(directive, ['mqttv31', 'mqttv311', 'mqttv50'] as const);
  return version === 'mqttv31' ? 3 : version === 'mqttv311' ? 4 : 5;
}

export function parseStartType(directive: Directive): 'automatic' | 'lazy' | 'once' {
  if (singleWord(directive) === 'manual') fail(directive, "start_type manual is not supported (mosquitto does not support it either): use automatic, lazy or once");
  return parseChoice(directive, ['automatic', 'lazy', 'once'] as const);
}

export function parseNotificationTopic(directive: Directive): string {
  const topic = parseText(directive);
  const problem = topicNameProblem(topic);
  if (problem) fail(directive, `invalid notification_topic '${topic}': ${problem}`);
  return topic;
}

export { addressUrl };

/** A topic line as mosquitto.conf writes it, `""` for an empty pattern or prefix. */
export function formatTopic(topic: BridgeTopic): string {
  const word = (text: string): string => (text === '' ? '""' : text);
  return [word(topic.pattern), topic.direction, topic.qos, word(topic.localPrefix), word(topic.remotePrefix)].join(' ');
}

/** `5 30` or `20`, as written. */
export function formatRestart(restart: BridgeRestart): string {
  return restart.kind === 'constant' ? `${restart.seconds}` : `${restart.baseSeconds} ${restart.capSeconds}`;
}

/** `mqttv311` for 4, as written. */
export function formatProtocolVersion(version: 3 | 4 | 5): string {
  return ({ 3: 'mqttv31', 4: 'mqttv311', 5: 'mqttv50' } as const)[version];
}
