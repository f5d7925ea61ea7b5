import type { Directive } from './directive.js';
import type { ParseContext } from './values.js';

/**
 * Where an option applies. `listener`: the current listener (mosquitto's default listener
 * before any `listener` line). `listener-or-global`: the current listener inside a listener
 * block, the default for every listener before one. `security`: global, or per listener when
 * `per_listener_settings` is true. `global`: the whole broker wherever it is written.
 * `bridge`: the bridge of the last `connection` line.
 */
export type OptionScope = 'global' | 'listener' | 'listener-or-global' | 'security' | 'bridge';

/**
 * What writing an option twice does, as in mosquitto: numbers and booleans take the last
 * value, strings (paths, names) may be given once, lists accumulate.
 */
export type RepeatRule = 'last-wins' | 'once' | 'append';

/**
 * The part of the resolved `MidgeConfig` an option's value lands in: a listener, its TLS
 * settings, the security settings (global and per listener), `auth`, `limits`,
 * `persistence`, `operations`, `mqttsn`, `cluster`, the top level (`root`), or a bridge and
 * its TLS settings (`bridge`, `bridgeTls`).
 */
export type Section =
  | 'listener' | 'tls' | 'security' | 'auth' | 'limits' | 'persistence' | 'operations' | 'mqttsn' | 'cluster' | 'root'
  | 'bridge' | 'bridgeTls';

/** What a default may depend on. */
export interface DefaultContext {
  /** Relative paths are taken from here. */
  cwd: string;
  /** The configuration declares no listener: Mosquitto 2's local-only mode. */
  localOnly: boolean;
}

/** What `docs/configuration.md` says of an option (generated from the table). */
export interface OptionDoc {
  /** What a value looks like: `integer 0..65535`, `true or false`, `path to a file`. */
  type: string;
  /** What it does, in a sentence or two. */
  summary: string;
  /** How midge differs from mosquitto's option of that name; `same` when it does not; `midge only`. */
  mosquitto: string;
  /** A line as written in a mosquitto.conf-syntax file. */
  example: string;
  /** The default in words, when its value alone would not say it (it depends on other settings). */
  defaultText?: string;
  /** More than a summary can hold: file formats, how it interacts with other options. */
  details?: string;
}

/**
 * One option midge understands: how it is read (`parse`), where its value goes in the
 * resolved config (`section`, `field`), its default, how `--test-config` writes it back
 * (`format`), and its documentation. Everything else about an option is derived from this.
 */
export interface OptionDefinition<V = unknown> {
  /** The name in config files, `MIDGE_` variables and `--test-config` output. */
  readonly name: string;
  /** The option it stores as: its own name, or for an alias (`persistent_client_expiration`) the option it spells. */
  readonly slot: string;
  readonly section: Section;
  readonly field: string;
  readonly scope: OptionScope;
  readonly repeat: RepeatRule;
  /** Values are a list: a YAML list item is one value, never split on blanks. */
  readonly listValued: boolean;
  /** The value is a field of the broker core's `BrokerLimits`, handed over as is. */
  readonly brokerLimit: boolean;
  readonly doc: OptionDoc;
  parse(directive: Directive, context: ParseContext): V;
  /** The value when the configuration sets none; undefined for an option that may stay unset. */
  defaultValue(context: DefaultContext): V | undefined;
  /** The resolved value from what was read (lists are copied, and may be deduplicated). */
  settle(value: V): V;
  /** The value as `--test-config` writes it (it loads back to the same value); undefined leaves the key out. */
  format(value: V): unknown;
}

/** An option whose value lands in section `S` as field `F`, of type `V` (`| undefined` when `Opt`). */
export interface TypedOption<K extends string, S extends Section, F extends string, V, Opt extends boolean> extends OptionDefinition<V> {
  readonly name: K;
  readonly section: S;
  readonly field: F;
  /** Only for typing: whether the resolved field may be undefined. */
  readonly optional: Opt;
}

/** What every kind of option is built from. */
interface OptionInput<K extends string, S extends Section, F extends string, V> {
  name: K;
  section: S;
  field: F;
  parse: (directive: Directive, context: ParseContext) => V;
  /** Default: `listener` for listener and TLS options, `security` for security ones, else `global`. */
  scope?: OptionScope;
  /** Default: `append` for lists, else `last-wins`. */
  repeat?: RepeatRule;
  list?: boolean;
  format?: (value: V) => unknown;
  settle?: (value: V) => V;
  doc: OptionDoc;
}

function scopeOf(section: Section): OptionScope {
  if (section === 'listener' || section === 'tls') return 'listener';
  if (section === 'bridge' || section === 'bridgeTls') return 'bridge';
  return section === 'security' ? 'security' : 'global';
}

/** Lists and list items are copied so a resolved config shares nothing with what was read. */
function copied<V>(value: V): V {
  if (!Array.isArray(value)) return value;
  return value.map((item: unknown) => (typeof item === 'object' && item !== null ? { ...item } : item)) as V;
}

/** Writes a value as is; an empty list is left out (it would not load back). */
function asWritten(value: unknown): unknown {
  return Array.isArray(value) && value.length === 0 ? undefined : value;
}

function build<K extends string, S extends Section, F extends string, V, Opt extends boolean>(
  input: OptionInput<K, S, F, V>, optional: Opt, defaultValue: (context: DefaultContext) => V | undefined, brokerLimit: boolean,
): TypedOption<K, S, F, V, Opt> {
  const list = input.list ?? false;
  return {
    name: input.name,
    slot: input.name,
    section: input.section,
    field: input.field,
    scope: input.scope ?? scopeOf(input.section),
    repeat: input.repeat ?? (list ? 'append' : 'last-wins'),
    listValued: list,
    brokerLimit,
    optional,
    doc: input.doc,
    parse: input.parse,
    defaultValue,
    settle: input.settle ?? copied,
    format: input.format ?? asWritten,
  };
}

/** An option with a default: its field always has a value. */
export function withDefault<const K extends string, const S extends Section, const F extends string, V>(
  input: OptionInput<K, S, F, V> & { default: NoInfer<V> | ((context: DefaultContext) => NoInfer<V>) },
): TypedOption<K, S, F, V, false> {
  const given = input.default;
  const defaultValue = typeof given === 'function' ? (given as (context: DefaultContext) => V) : () => given;
  return build(input, false, defaultValue, false);
}

/** An option that may stay unset: its field is undefined then. */
export function optional<const K extends string, const S extends Section, const F extends string, V>(
  input: OptionInput<K, S, F, V>,
): TypedOption<K, S, F, V, true> {
  return build(input, true, () => undefined, false);
}

/**
 * An option without a default whose section exists only when it is set (`certfile` and
 * `keyfile` make a listener's TLS settings, `cluster_redis_url` the cluster's).
 */
export function defining<const K extends string, const S extends Section, const F extends string, V>(
  input: OptionInput<K, S, F, V>,
): TypedOption<K, S, F, V, false> {
  return build(input, false, () => undefined, false);
}

/**
 * A limit of the broker core: its field is the `BrokerLimits` field of that name and its
 * default the core's own, so embedding the broker and configuring it give the same broker.
 */
export function brokerLimit<const K extends string, const F extends string, V>(
  input: Omit<OptionInput<K, 'limits', F, V>, 'section'>, coreDefault: V,
): TypedOption<K, 'limits', F, V, false> {
  return build({ ...input, section: 'limits' }, false, () => coreDefault, true);
}

/**
 * Another spelling of an option (mosquitto's `persistent_client_expiration` for
 * `max_session_expiry_interval`): its own parser and documentation, the other's value.
 */
export function alias<V>(
  name: string, of: OptionDefinition<V>, parse: (directive: Directive, context: ParseContext) => V, doc: OptionDoc,
): OptionDefinition<V> {
  return { ...of, name, slot: of.name, parse, doc };
}

/** The value type of a field, given its option. */
type FieldType<E> = E extends TypedOption<string, Section, string, infer V, infer Opt> ? (Opt extends true ? V | undefined : V) : never;

/** The value an option's parser gives (what the reading stage holds before defaults). */
export type ParsedType<E> = E extends TypedOption<string, Section, string, infer V, boolean> ? V : never;

/** The resolved fields of one section, derived from the options that land there. */
export type SectionFields<Table extends readonly OptionDefinition[], S extends Section> = {
  -readonly [E in Table[number] as E extends TypedOption<string, S, infer F, unknown, boolean> ? F : never]: FieldType<E>;
};
