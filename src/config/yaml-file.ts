import type { LineCounter, Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { splitWords, type Directive } from './directive.js';
import { ConfigError, type Origin } from './errors.js';
import { isKnownName, KNOWN_NAMES, unknownOptionError } from './interpret.js';
import { OPTIONS } from './options.js';
import { DEFAULT_MQTT_PORT, DEFAULT_MQTTSN_PORT } from './types.js';
import { yamlModule } from './yaml-module.js';

// The yaml package's node predicates, through the module loaded on first use (see yamlModule).
const isMap = (node: unknown): node is YAMLMap => yamlModule().isMap(node);
const isSeq = (node: unknown): node is YAMLSeq => yamlModule().isSeq(node);
const isScalar = (node: unknown): node is Scalar => yamlModule().isScalar(node);

/** Line numbers for the nodes of one YAML text. */
class YamlPlace {
  private readonly lines = new (yamlModule().LineCounter)();
  constructor(readonly source: string) {}

  get counter(): LineCounter {
    return this.lines;
  }

  of(node: unknown): Origin {
    const range = node !== null && typeof node === 'object' && 'range' in node ? (node as Node).range : undefined;
    return range ? { source: this.source, line: this.lines.linePos(range[0]).line } : { source: this.source };
  }
}

function scalarText(node: unknown, place: YamlPlace, key: string): string {
  if (node === null || node === undefined) return '';
  if (!isScalar(node)) throw new ConfigError(`${key} takes a value, not a ${isSeq(node) ? 'list' : 'map'}`, place.of(node));
  const value = node.value;
  if (value === null) return '';
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new ConfigError(`${key} has a value of an unexpected type`, place.of(node));
}

/** `{id: 3, topic: a/b}` is the YAML spelling of `mqttsn_predefined_topic 3 a/b`. */
function predefinedTopicText(node: YAMLMap, place: YamlPlace): string {
  const id = scalarText(node.get('id', true), place, 'mqttsn_predefined_topic id');
  const topic = scalarText(node.get('topic', true), place, 'mqttsn_predefined_topic topic');
  return `${id} ${topic}`;
}

/** The names a YAML key may have at the top: mosquitto.conf's, with `listeners` for `listener` and `bridges` for `connection`. */
const TOP_LEVEL_NAMES = [...KNOWN_NAMES.filter((name) => name !== 'listener' && name !== 'connection'), 'listeners', 'bridges'];
/** ... and inside a listener object, where `address` joins `port`. */
const LISTENER_NAMES = [...KNOWN_NAMES, 'address'];

/**
 * Refuses a key midge does not know before its value is looked at, so a typo gets the same
 * "did you mean" as in mosquitto.conf, in YAML's spelling, whatever the shape of its value.
 */
function checkKey(key: string, origin: Origin, names: readonly string[]): void {
  if (!isKnownName(key)) throw unknownOptionError({ key, origin }, names);
}

function directivesOf(key: string, value: unknown, keyOrigin: Origin, place: YamlPlace): Directive[] {
  const definition = OPTIONS.get(key);
  const verbatim = definition?.listValued ?? false;
  const make = (node: unknown, origin: Origin): Directive => {
    const text = key === 'mqttsn_predefined_topic' && isMap(node) ? predefinedTopicText(node, place) : scalarText(node, place, key);
    return { key, text, words: verbatim ? (text === '' ? [] : [text]) : splitWords(text), origin };
  };
  if (!isSeq(value)) return [make(value, keyOrigin)];
  if (definition?.repeat !== 'append') throw new ConfigError(`${key} takes one value, not a list`, place.of(value));
  return value.items.map((item) => make(item, place.of(item)));
}

function defaultPort(item: YAMLMap, place: YamlPlace): number | undefined {
  const protocol = scalarText(item.get('protocol', true), place, 'protocol');
  if (protocol === '' || protocol === 'mqtt') return DEFAULT_MQTT_PORT;
  return protocol === 'mqttsn' ? DEFAULT_MQTTSN_PORT : undefined;
}

/** One listener object: a `listener PORT [ADDRESS]` directive, then its options. */
function listenerDirectives(item: unknown, place: YamlPlace): Directive[] {
  const origin = place.of(item);
  if (!isMap(item)) throw new ConfigError('each entry of listeners must be a map of listener options', origin);
  const portText = scalarText(item.get('port', true), place, 'port') || String(defaultPort(item, place) ?? '');
  if (portText === '') throw new ConfigError('this listener needs a port', origin);
  const address = scalarText(item.get('address', true), place, 'address');
  const words = address === '' ? [portText] : [portText, address];
  const directives: Directive[] = [{ key: 'listener', text: words.join(' '), words, origin }];
  for (const pair of item.items as Pair[]) {
    const key = scalarText(pair.key, place, 'key');
    if (key === 'port' || key === 'address') continue;
    checkKey(key, place.of(pair.key), LISTENER_NAMES);
    for (const directive of directivesOf(key, pair.value, place.of(pair.key), place)) {
      directives.push({ ...directive, insideListenerObject: true });
    }
  }
  return directives;
}

/** One bridge object: a `connection NAME` directive, then its options. */
function bridgeDirectives(item: unknown, place: YamlPlace): Directive[] {
  const origin = place.of(item);
  if (!isMap(item)) throw new ConfigError('each entry of bridges must be a map of bridge options', origin);
  const name = scalarText(item.get('connection', true), place, 'connection');
  if (name === '') throw new ConfigError("this bridge needs a name: 'connection: NAME'", origin);
  const directives: Directive[] = [{ key: 'connection', text: name, words: [name], origin, insideBridgeObject: true }];
  for (const pair of item.items as Pair[]) {
    const key = scalarText(pair.key, place, 'key');
    if (key === 'connection') continue;
    checkKey(key, place.of(pair.key), KNOWN_NAMES);
    for (const directive of directivesOf(key, pair.value, place.of(pair.key), place)) {
      directives.push({ ...directive, insideBridgeObject: true });
    }
  }
  return directives;
}

/**
 * The directives of a YAML config: the same option names as mosquitto.conf in snake_case,
 * with `listeners` a list of listener objects and `bridges` a list of bridge objects (each
 * with `connection: NAME`). Order follows what mosquitto.conf needs: `per_listener_settings`
 * first, then the other top-level options as written, then bridges, listeners last.
 */
export function parseYamlText(text: string, source: string): Directive[] {
  const place = new YamlPlace(source);
  const document = yamlModule().parseDocument(text, { lineCounter: place.counter, prettyErrors: false, uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    const line = place.counter.linePos(error.pos[0]).line;
    throw new ConfigError(`invalid YAML: ${error.message.split('\n')[0]}`, { source, line });
  }
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) throw new ConfigError('a YAML config must be a map of options', place.of(root));
  const first: Directive[] = [];
  const middle: Directive[] = [];
  const bridges: Directive[] = [];
  const last: Directive[] = [];
  for (const pair of root.items as Pair[]) {
    const key = scalarText(pair.key, place, 'key');
    const origin = place.of(pair.key);
    if (key === 'listener') throw new ConfigError("in YAML, declare listeners as a list under 'listeners'", origin);
    if (key === 'connection') throw new ConfigError("in YAML, declare bridges as a list under 'bridges', each with 'connection: NAME'", origin);
    if (key === 'bridges') {
      if (!isSeq(pair.value)) throw new ConfigError('bridges must be a list of bridge objects', origin);
      for (const item of pair.value.items) bridges.push(...bridgeDirectives(item, place));
      continue;
    }
    if (key === 'listeners') {
      if (!isSeq(pair.value)) throw new ConfigError('listeners must be a list of listener objects', origin);
      for (const item of pair.value.items) last.push(...listenerDirectives(item, place));
      continue;
    }
    checkKey(key, origin, TOP_LEVEL_NAMES);
    (key === 'per_listener_settings' ? first : middle).push(...directivesOf(key, pair.value, origin, place));
  }
  return [...first, ...middle, ...bridges, ...last];
}
