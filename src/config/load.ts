import { parseConfText, readConfigText } from './conf-file.js';
import { makeDirective, type Directive } from './directive.js';
import { emptyDraft, type Draft } from './draft.js';
import { environmentSettings } from './env.js';
import { ConfigError, type Origin } from './errors.js';
import { applyOverride, ConfigInterpreter } from './interpret.js';
import { recordProvenance } from './provenance.js';
import { isLoopbackAddress, resolveDraft } from './resolve.js';
import type { MidgeConfig } from './types.js';
import { checkDuplicateListeners, defaultListenerNotice, validateDraft } from './validate.js';
import type { ParseContext } from './values.js';
import { parseYamlText } from './yaml-file.js';

/** A setting given on the command line: lists for options that take several values. */
export type OverrideValue = string | number | boolean | readonly string[];

/** What the command line sets, applied after the file and the environment. */
export interface ConfigOverrides {
  /**
   * `--port`: the port of the first MQTT listener (with no config file, the 127.0.0.1
   * listener midge opens by default). 0 asks the system for a free port.
   */
  port?: number;
  /**
   * `--host`: the address of that same listener. With no config file, a non-loopback host
   * leaves local-only mode, so anonymous clients are refused unless `allow_anonymous` is set.
   */
  host?: string;
  /** Any global option by its config name, e.g. `{ max_packet_size: 2048 }`. */
  settings?: Readonly<Record<string, OverrideValue>>;
}

/** Where `loadConfig` reads from; every field optional. */
export interface LoadConfigOptions {
  /** mosquitto.conf syntax, or YAML when the name ends in `.yaml` or `.yml`. None: defaults only. */
  file?: string;
  /** Where `MIDGE_<OPTION>` variables are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Applied last. */
  overrides?: ConfigOverrides;
  /** Relative paths (the file's own, and those it names) are taken from here. Default `process.cwd()`. */
  cwd?: string;
}

const COMMAND_LINE: Origin = { source: 'command line' };

function readMainFile(draft: Draft, file: string, context: ParseContext): void {
  const text = readConfigText(file, context.cwd);
  draft.files.push(file);
  const directives = /\.ya?ml$/i.test(file) ? parseYamlText(text, file) : parseConfText(text, file);
  new ConfigInterpreter(draft, context).run(directives, 0);
}

function settingDirectives(settings: Readonly<Record<string, OverrideValue>> | undefined): Directive[] {
  return Object.entries(settings ?? {}).map(([key, value]): Directive => {
    if (typeof value !== 'object') return makeDirective(key, String(value), COMMAND_LINE);
    return { key, text: value.join(' '), words: [...value], origin: COMMAND_LINE };
  });
}

function checkListenerOverride(overrides: ConfigOverrides | undefined): void {
  const port = overrides?.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new ConfigError(`invalid port '${port}': expected an integer from 0 to 65535`, COMMAND_LINE);
  }
  const host = overrides?.host;
  if (host !== undefined && (host === '' || /\s/.test(host))) throw new ConfigError(`invalid host '${host}'`, COMMAND_LINE);
}

function applyListenerOverride(config: MidgeConfig, overrides: ConfigOverrides | undefined): void {
  if (overrides?.port === undefined && overrides?.host === undefined) return;
  const listener = config.listeners.find((candidate) => candidate.protocol === 'mqtt');
  if (!listener) throw new ConfigError('port and host apply to an MQTT listener, and this configuration has none', COMMAND_LINE);
  if (overrides.port !== undefined) listener.port = overrides.port;
  if (overrides.host !== undefined) listener.address = overrides.host;
}

/**
 * Reads the configuration: the file (mosquitto.conf or YAML), then `MIDGE_*` environment
 * variables, then command-line overrides; fills in defaults and checks everything.
 * @throws ConfigError naming the file and line (or variable) of the first problem.
 */
export function loadConfig(options: LoadConfigOptions = {}): MidgeConfig {
  const context: ParseContext = { cwd: options.cwd ?? process.cwd() };
  const draft = emptyDraft();
  if (options.file !== undefined) readMainFile(draft, options.file, context);
  const environment = environmentSettings(options.env ?? process.env);
  draft.notices.push(...environment.notices);
  for (const directive of environment.directives) applyOverride(draft, directive, context, 'environment');
  for (const directive of settingDirectives(options.overrides?.settings)) applyOverride(draft, directive, context, 'command line');
  checkListenerOverride(options.overrides);
  const host = options.overrides?.host;
  const localOnly = !draft.declaresListeners && (host === undefined || isLoopbackAddress(host));
  const { config, listenerOrigins } = resolveDraft(draft, context.cwd, localOnly);
  validateDraft(draft, config.listeners);
  applyListenerOverride(config, options.overrides);
  checkDuplicateListeners(config.listeners, listenerOrigins);
  const notice = defaultListenerNotice(draft);
  if (notice) draft.notices.push(notice);
  recordProvenance(config, {
    files: draft.files,
    listeners: listenerOrigins,
    settings: new Map(Object.entries(draft.global.origins)),
    acceptedWithoutEffect: draft.acceptedWithoutEffect,
    notices: draft.notices,
  });
  return config;
}
