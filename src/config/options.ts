import { NO_EXPIRY_CAP } from './option-values.js';
import { bridgeOptions } from './options-bridge.js';
import { brokerOptions } from './options-broker.js';
import { listenerOptions } from './options-listener.js';
import { loggingOptions } from './options-logging.js';
import { alias, type OptionDefinition, type OptionDoc, type ParsedType, type Section } from './option-spec.js';
import { parseDuration } from './values.js';

/**
 * The option table: every option midge reads, in one place. Each entry says how the value
 * is read, where it lands in the resolved `MidgeConfig` (section and field), its default,
 * how `--test-config` writes it back, and its documentation. The rest is derived from it:
 * the reading (`interpret.ts`, YAML, `MIDGE_` variables), the config's types (`types.ts`),
 * the defaults (`resolve.ts`), the YAML output (`format.ts`), the broker's limits
 * (`server/from-config.ts`) and docs/configuration.md (`reference.ts`).
 *
 * Adding an option: one entry in `options-listener.ts`, `options-broker.ts`, `options-logging.ts` or
 * `options-bridge.ts` (a limit of the core also needs its `BrokerLimits` field in
 * `src/broker/options.ts`), then `npm run docs:config`. See docs/ARCHITECTURE.md.
 */
export const OPTION_TABLE = [...listenerOptions, ...brokerOptions, ...loggingOptions, ...bridgeOptions] as const;

/** The table's entries. */
export type OptionEntry = (typeof OPTION_TABLE)[number];

/**
 * The value each option holds once read, by option name, before defaults. Listener and
 * global options share one table: which bag a value lands in is the option's scope.
 */
export type SettingValues = { [E in OptionEntry as E['name']]: ParsedType<E> };

/** An option's stored name (aliases store under the option they spell). */
export type SettingName = keyof SettingValues;

const maxSessionExpiry = OPTION_TABLE.find((o) => o.name === 'max_session_expiry_interval')!;
const option = (name: string): OptionDefinition => OPTION_TABLE.find((o) => o.name === name)!;

/** mosquitto's older spelling of a bridge option: the same parser, documented as such. */
function oldSpelling(name: string, of: string): OptionDefinition {
  const target = option(of);
  return alias(name, target, target.parse, { ...target.doc, summary: `mosquitto's older spelling of ${of}.`, example: target.doc.example.replace(of, name) });
}

/** Other spellings of options in the table. */
export const ALIASES: readonly OptionDefinition[] = [
  alias('persistent_client_expiration', maxSessionExpiry, (d) => parseDuration(d, { unitRequired: true, max: NO_EXPIRY_CAP }), {
    type: 'a number with unit h d w m y (a month is 30 days)', summary: 'Another way to write max_session_expiry_interval; the last one written wins.',
    mosquitto: 'same units; it also caps v5 session expiry', example: 'persistent_client_expiration 14d',
  }),
  oldSpelling('addresses', 'address'),
  oldSpelling('clientid', 'remote_clientid'),
  oldSpelling('username', 'remote_username'),
  oldSpelling('password', 'remote_password'),
];

/** Every option midge understands, by name, aliases included. */
export const OPTIONS: ReadonlyMap<string, OptionDefinition> = new Map<string, OptionDefinition>(
  [...OPTION_TABLE, ...ALIASES].map((option) => [option.name, option]),
);

/** The options whose values land in one section of the resolved config, in table order (no aliases). */
export function optionsOf(section: Section): readonly OptionDefinition[] {
  return OPTION_TABLE.filter((option) => option.section === section);
}

/** Options that shape the file rather than set a value, handled by the interpreter itself, with their documentation. */
export const STRUCTURAL_DOCS: ReadonlyMap<string, OptionDoc> = new Map<string, OptionDoc>([
  ['listener', {
    type: 'port 0..65535, then an optional address', summary: 'Opens a listener; the listener options after it apply to it. Port 0 asks the system for a free port.',
    mosquitto: 'same; Unix sockets are refused', example: 'listener 8883 0.0.0.0',
  }],
  ['port', { type: 'port 0..65535', summary: "The port of mosquitto's default listener.", mosquitto: 'same', example: 'port 1883', defaultText: '1883' }],
  ['bind_address', { type: 'address', summary: "The address of mosquitto's default listener.", mosquitto: 'same', example: 'bind_address 127.0.0.1', defaultText: 'every interface' }],
  ['include_dir', {
    type: 'path to a directory', summary: 'Reads DIR/*.conf, sorted as mosquitto sorts them (main file only).',
    mosquitto: 'same', example: 'include_dir /etc/midge/conf.d',
  }],
  ['connection', {
    type: 'name', summary: 'Starts a bridge to another broker; the bridge options after it apply to it (see docs/bridges.md). Names are unique.',
    mosquitto: 'same', example: 'connection cloud',
  }],
  ['per_listener_settings', {
    type: 'true or false', summary: 'allow_anonymous, password_file, acl_file and allow_zero_length_clientid are set per listener; must come before any of them.',
    mosquitto: 'same', example: 'per_listener_settings true', defaultText: 'false',
  }],
]);

/** Options that shape the file rather than set a value; handled by the interpreter itself. */
export const STRUCTURAL_OPTIONS: readonly string[] = [...STRUCTURAL_DOCS.keys()];
