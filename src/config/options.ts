import type { Directive } from './directive.js';
import type { ListenerProtocol, LogLevel, PersistenceSync, PredefinedTopic, SocketDomain } from './types.js';
import { MAX_MQTT_PACKET_SIZE, NO_EXPIRY_CAP } from './types.js';
import {
  checkTopicName, integerWord, parseBoolean, parseChoice, parseDuration, parseInteger, parseName,
  parsePath, parseRedisUrl, parseText, parseTopicFilters, singleWord, type ParseContext,
} from './values.js';
import { ConfigError } from './errors.js';

/**
 * The value each option holds once parsed, by option name. Listener options and global
 * options share one table: which bag a value lands in is the option's scope.
 */
export interface SettingValues {
  protocol: ListenerProtocol;
  cafile: string;
  capath: string;
  certfile: string;
  keyfile: string;
  crlfile: string;
  ciphers: string;
  tls_version: string;
  require_certificate: boolean;
  use_identity_as_username: boolean;
  use_subject_as_username: boolean;
  websockets_path: string;
  confidential: boolean;
  socket_domain: SocketDomain;
  max_connections: number;
  allow_anonymous: boolean;
  password_file: string;
  acl_file: string;
  allow_zero_length_clientid: boolean;
  admin_user: string[];
  admin_token: string;
  scram_users_file: string;
  max_keepalive: number;
  max_packet_size: number;
  message_size_limit: number;
  max_inflight_messages: number;
  max_queued_messages: number;
  max_queued_bytes: number;
  max_topic_levels: number;
  connect_timeout: number;
  max_qos: 0 | 1 | 2;
  retain_available: boolean;
  max_topic_alias: number;
  max_session_expiry_interval: number;
  persistence: boolean;
  persistence_location: string;
  persistence_sync: PersistenceSync;
  sys_interval: number;
  log_level: LogLevel;
  trace_clients: string[];
  response_information_prefix: string;
  mqttsn_gateway_id: number;
  mqttsn_advertise_interval: number;
  mqttsn_predefined_topic: PredefinedTopic[];
  mqttsn_max_clients: number;
  confidential_topics: string[];
  cluster_redis_url: string;
  cluster_node_id: string;
}

/** An option's stored name (several spellings may store into one, e.g. mosquitto's aliases). */
export type SettingName = keyof SettingValues;

/**
 * Where an option applies. `listener`: the current listener (mosquitto's default listener
 * before any `listener` line). `listener-or-global`: the current listener inside a listener
 * block, the default for every listener before one. `security`: global, or per listener when
 * `per_listener_settings` is true. `global`: the whole broker wherever it is written.
 */
export type OptionScope = 'global' | 'listener' | 'listener-or-global' | 'security';

/**
 * What writing an option twice does, as in mosquitto: numbers and booleans take the last
 * value, strings (paths, names) may be given once, lists accumulate.
 */
export type RepeatRule = 'last-wins' | 'once' | 'append';

/** One option midge understands. */
export interface OptionDefinition {
  name: string;
  slot: SettingName;
  scope: OptionScope;
  repeat: RepeatRule;
  /** Values are a list: a YAML list item is one value, never split on blanks. */
  listValued: boolean;
  parse(directive: Directive, context: ParseContext): unknown;
}

function option<S extends SettingName>(
  name: string, slot: S, scope: OptionScope, repeat: RepeatRule,
  parse: (directive: Directive, context: ParseContext) => SettingValues[S],
): OptionDefinition {
  return { name, slot, scope, repeat, listValued: false, parse };
}

/** Most options store under their own name. */
function own<S extends SettingName>(name: S, scope: OptionScope, repeat: RepeatRule, parse: (directive: Directive, context: ParseContext) => SettingValues[S]): OptionDefinition {
  return option(name, name, scope, repeat, parse);
}

function list<S extends SettingName>(name: S, scope: OptionScope, parse: (directive: Directive, context: ParseContext) => SettingValues[S]): OptionDefinition {
  return { ...option(name, name, scope, 'append', parse), listValued: true };
}

/** The options whose value is of type T. */
type SettingOfType<T> = { [K in SettingName]: SettingValues[K] extends T ? K : never }[SettingName];

const bool = (name: SettingOfType<boolean>, scope: OptionScope): OptionDefinition => own(name, scope, 'last-wins', parseBoolean);
const int = (name: SettingOfType<number>, min: number, max: number): OptionDefinition =>
  own(name, 'global', 'last-wins', (d) => parseInteger(d, min, max));
const file = (name: SettingOfType<string>, scope: OptionScope): OptionDefinition =>
  own(name, scope, 'once', (d, c) => parsePath(d, c, 'file'));

/** mosquitto refuses a maximum packet size under 20 bytes; `0` is its "no limit". */
function parseMaxPacketSize(directive: Directive): number {
  const size = parseInteger(directive, 0, MAX_MQTT_PACKET_SIZE);
  if (size !== 0 && size < 20) {
    throw new ConfigError(`invalid max_packet_size '${size}': expected 0 (no limit) or 20 to ${MAX_MQTT_PACKET_SIZE}`, directive.origin);
  }
  return size === 0 ? MAX_MQTT_PACKET_SIZE : size;
}

/** The v5 Receive Maximum is 1..65535, so mosquitto's `0` (no limit) becomes 65535. */
function parseInflight(directive: Directive): number {
  const count = parseInteger(directive, 0, 65535);
  return count === 0 ? 65535 : count;
}

/** mosquitto treats any negative `max_connections` as "no limit" (-1). */
function parseMaxConnections(directive: Directive): number {
  const count = parseInteger(directive, -2147483648, 2147483647);
  return count < 0 ? -1 : count;
}

function parseWebsocketsPath(directive: Directive): string {
  const path = parseName(directive);
  if (!path.startsWith('/')) throw new ConfigError(`invalid websockets_path '${path}': must start with '/'`, directive.origin);
  return path;
}

/** `mqttsn_predefined_topic ID TOPIC`: the topic is the rest of the line (topics may hold blanks). */
function parsePredefinedTopic(directive: Directive): PredefinedTopic[] {
  const match = /^(\S+)[ \t]+(.+)$/.exec(directive.text);
  if (!match) throw new ConfigError('mqttsn_predefined_topic needs a topic id and a topic name', directive.origin);
  const id = integerWord(directive, match[1]!, 1, 65534);
  return [{ id, topic: checkTopicName(directive, match[2]!.trim()) }];
}

function parseTracePatterns(directive: Directive): string[] {
  if (directive.words.length === 0) throw new ConfigError('missing value for trace_clients', directive.origin);
  return directive.words;
}

function parseResponsePrefix(directive: Directive): string {
  return checkTopicName(directive, parseText(directive));
}

const definitions: OptionDefinition[] = [
  // Listener options.
  own('protocol', 'listener', 'last-wins', (d) => parseChoice(d, ['mqtt', 'websockets', 'mqttsn', 'http'] as const)),
  file('cafile', 'listener'),
  own('capath', 'listener', 'once', (d, c) => parsePath(d, c, 'directory')),
  file('certfile', 'listener'),
  file('keyfile', 'listener'),
  file('crlfile', 'listener'),
  own('ciphers', 'listener', 'once', (d) => singleWord(d)),
  own('tls_version', 'listener', 'last-wins', (d) => parseChoice(d, ['tlsv1.1', 'tlsv1.2', 'tlsv1.3'] as const)),
  bool('require_certificate', 'listener'),
  bool('use_identity_as_username', 'listener'),
  bool('use_subject_as_username', 'listener'),
  own('websockets_path', 'listener', 'once', parseWebsocketsPath),
  bool('confidential', 'listener'),
  own('socket_domain', 'listener', 'last-wins', (d) => parseChoice(d, ['ipv4', 'ipv6'] as const)),
  own('max_connections', 'listener-or-global', 'last-wins', parseMaxConnections),
  // Authentication.
  bool('allow_anonymous', 'security'),
  file('password_file', 'security'),
  file('acl_file', 'security'),
  bool('allow_zero_length_clientid', 'security'),
  list('admin_user', 'global', (d) => [parseText(d)]),
  own('admin_token', 'global', 'once', parseText),
  file('scram_users_file', 'global'),
  // Limits.
  int('max_keepalive', 0, 65535),
  own('max_packet_size', 'global', 'last-wins', parseMaxPacketSize),
  int('message_size_limit', 0, MAX_MQTT_PACKET_SIZE),
  own('max_inflight_messages', 'global', 'last-wins', parseInflight),
  int('max_queued_messages', 0, 2147483647),
  int('max_queued_bytes', 0, Number.MAX_SAFE_INTEGER),
  int('max_topic_levels', 1, 65535),
  int('connect_timeout', 1, 86400),
  own('max_qos', 'global', 'last-wins', (d) => parseInteger(d, 0, 2) as 0 | 1 | 2),
  bool('retain_available', 'global'),
  int('max_topic_alias', 0, 65535),
  own('max_session_expiry_interval', 'global', 'last-wins', (d) => parseDuration(d, { unitRequired: false, max: NO_EXPIRY_CAP })),
  option('persistent_client_expiration', 'max_session_expiry_interval', 'global', 'last-wins', (d) => parseDuration(d, { unitRequired: true, max: NO_EXPIRY_CAP })),
  // Persistence.
  bool('persistence', 'global'),
  own('persistence_location', 'global', 'once', (d, c) => parsePath(d, c, 'directory-if-present')),
  own('persistence_sync', 'global', 'last-wins', (d) => parseChoice(d, ['normal', 'full'] as const)),
  // Operations.
  int('sys_interval', 0, 65535),
  own('log_level', 'global', 'last-wins', (d) => parseChoice(d, ['trace', 'debug', 'info', 'warn', 'error'] as const)),
  list('trace_clients', 'global', parseTracePatterns),
  own('response_information_prefix', 'global', 'once', parseResponsePrefix),
  // MQTT-SN.
  int('mqttsn_gateway_id', 0, 255),
  int('mqttsn_advertise_interval', 0, 65535),
  own('mqttsn_predefined_topic', 'global', 'append', parsePredefinedTopic),
  int('mqttsn_max_clients', 1, 1_000_000),
  // Security and cluster.
  list('confidential_topics', 'global', parseTopicFilters),
  own('cluster_redis_url', 'global', 'once', parseRedisUrl),
  own('cluster_node_id', 'global', 'once', parseName),
];

/** Every option midge understands, by name. */
export const OPTIONS: ReadonlyMap<string, OptionDefinition> = new Map(definitions.map((d) => [d.name, d]));

/** Options that shape the file rather than set a value; handled by the interpreter itself. */
export const STRUCTURAL_OPTIONS: readonly string[] = ['listener', 'port', 'bind_address', 'include_dir', 'per_listener_settings'];
