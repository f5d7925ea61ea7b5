import { listIncludeFiles, parseConfText, readConfigText } from './conf-file.js';
import type { Directive } from './directive.js';
import { emptyBag, storeSetting, type Draft, type DraftBridge, type DraftListener } from './draft.js';
import { ConfigError, formatOrigin } from './errors.js';
import { ACCEPTED_WITHOUT_EFFECT, closestName, unsupportedMosquittoOption } from './mosquitto-compat.js';
import type { OptionDefinition } from './option-spec.js';
import { OPTIONS, STRUCTURAL_OPTIONS } from './options.js';
import { integerWord, parseBoolean, parseInteger, parseName, type ParseContext } from './values.js';

/** Every name a user could have meant, for "did you mean" hints. */
export const KNOWN_NAMES: readonly string[] = [...OPTIONS.keys(), ...STRUCTURAL_OPTIONS, ...ACCEPTED_WITHOUT_EFFECT.keys()];

/** True for a name midge reads (an option, a structural one, or one accepted without effect). */
export function isKnownName(key: string): boolean {
  return OPTIONS.has(key) || STRUCTURAL_OPTIONS.includes(key) || ACCEPTED_WITHOUT_EFFECT.has(key);
}

/** The error for a name that is no option of midge; `names` are the hints (a syntax may spell some differently). */
export function unknownOptionError(directive: Pick<Directive, 'key' | 'origin'>, names: readonly string[] = KNOWN_NAMES): ConfigError {
  const unsupported = unsupportedMosquittoOption(directive.key);
  if (unsupported) return new ConfigError(unsupported, directive.origin);
  const suggestion = closestName(directive.key, names);
  return new ConfigError(`unknown option '${directive.key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`, directive.origin);
}

/** Where options land while one file is read: its current listener and current bridge. */
interface Cursor {
  listener: DraftListener;
  /** The bridge of the last `connection` line of this file, if any. */
  bridge: DraftBridge | undefined;
}

/**
 * Applies the directives of the config files to a draft, with mosquitto's rules of context:
 * each file starts before any listener and bridge, `listener` opens a block for the listener
 * options that follow, `connection` one for the bridge options, and `include_dir` (main file
 * only) reads `DIR/*.conf` in mosquitto's order.
 */
export class ConfigInterpreter {
  constructor(private readonly draft: Draft, private readonly context: ParseContext) {}

  /** Applies one file's directives; `level` is 0 for the main file, 1 for included ones. */
  run(directives: readonly Directive[], level: number): void {
    const cursor: Cursor = { listener: this.draft.defaultListener, bridge: undefined };
    for (const directive of directives) this.apply(directive, cursor, level);
  }

  private apply(directive: Directive, cursor: Cursor, level: number): void {
    const definition = OPTIONS.get(directive.key);
    if (directive.insideBridgeObject && directive.key !== 'connection') {
      const misplaced = definition ? definition.scope !== 'bridge' : STRUCTURAL_OPTIONS.includes(directive.key);
      if (misplaced) throw new ConfigError(`${directive.key} is not a bridge option: write it outside the bridge`, directive.origin);
    }
    if (definition) {
      if (definition.scope === 'bridge') this.applyBridgeOption(directive, definition, cursor.bridge);
      else this.applyOption(directive, definition, cursor.listener);
      return;
    }
    if (directive.insideListenerObject && STRUCTURAL_OPTIONS.includes(directive.key)) {
      throw new ConfigError(`${directive.key} cannot be used inside a listener`, directive.origin);
    }
    if (directive.key === 'listener') {
      cursor.listener = this.declareListener(directive);
      return;
    }
    if (directive.key === 'connection') {
      cursor.bridge = this.declareBridge(directive);
      return;
    }
    this.applyOther(directive, level);
  }

  private applyOther(directive: Directive, level: number): void {
    switch (directive.key) {
      case 'port':
        return this.setDefaultPort(directive);
      case 'bind_address':
        return this.setBindAddress(directive);
      case 'include_dir':
        return this.include(directive, level);
      case 'per_listener_settings':
        return this.setPerListenerSettings(directive);
    }
    const accepted = ACCEPTED_WITHOUT_EFFECT.get(directive.key);
    if (!accepted) throw unknownOptionError(directive);
    accepted.check(directive);
    if (!this.draft.acceptedWithoutEffect.has(directive.key)) this.draft.acceptedWithoutEffect.set(directive.key, directive.origin);
  }

  /** `connection NAME`: a new bridge, whose options follow. Names are unique, as in mosquitto. */
  private declareBridge(directive: Directive): DraftBridge {
    const [name, extra] = directive.words;
    if (name === undefined) throw new ConfigError('connection needs a name', directive.origin);
    if (extra !== undefined && !extra.startsWith('#')) throw new ConfigError(`connection takes one name, got '${directive.text}'`, directive.origin);
    const existing = this.draft.bridges.find((b) => b.name === name);
    if (existing) throw new ConfigError(`duplicate bridge name '${name}' (already declared at ${formatOrigin(existing.origin)})`, directive.origin);
    const bridge: DraftBridge = { name, origin: directive.origin, bag: emptyBag() };
    this.draft.bridges.push(bridge);
    return bridge;
  }

  private applyBridgeOption(directive: Directive, definition: OptionDefinition, bridge: DraftBridge | undefined): void {
    if (!bridge || directive.insideListenerObject) {
      throw new ConfigError(`${directive.key} belongs to a bridge: write it after a 'connection NAME' line`, directive.origin);
    }
    storeSetting(bridge.bag, definition, definition.parse(directive, this.context), directive.origin, false);
  }

  private applyOption(directive: Directive, definition: OptionDefinition, current: DraftListener): void {
    const { draft } = this;
    const perListener = draft.perListenerSettings;
    if (directive.insideListenerObject && (definition.scope === 'global' || (definition.scope === 'security' && !perListener))) {
      const why = definition.scope === 'global' ? 'is a global option: write it outside the listener' : 'belongs to a listener only when per_listener_settings is true';
      throw new ConfigError(`${directive.key} ${why}`, directive.origin);
    }
    const value = definition.parse(directive, this.context);
    if (definition.scope === 'security') draft.firstSecurityOption ??= directive.origin;
    const onListener =
      definition.scope === 'listener' ||
      (definition.scope === 'listener-or-global' && !current.isDefault) ||
      (definition.scope === 'security' && perListener);
    if (!onListener) {
      storeSetting(draft.global, definition, value, directive.origin, false);
    } else {
      storeSetting(current.bag, definition, value, directive.origin, false);
      if (current.isDefault && definition.scope === 'security') draft.defaultListenerSecurity ??= { key: directive.key, origin: directive.origin };
      else if (current.isDefault) this.configureDefaultListener(directive);
    }
    if (definition.slot === 'mqttsn_predefined_topic') this.checkPredefinedIds(directive);
  }

  private checkPredefinedIds(directive: Directive): void {
    const topics = this.draft.global.values.mqttsn_predefined_topic ?? [];
    const added = topics[topics.length - 1]!;
    if (topics.findIndex((topic) => topic.id === added.id) !== topics.length - 1) {
      throw new ConfigError(`duplicate mqttsn_predefined_topic id ${added.id}`, directive.origin);
    }
  }

  /** `listener PORT [ADDRESS] [# comment]`. */
  private declareListener(directive: Directive): DraftListener {
    const [portWord, address, extra] = directive.words;
    if (portWord === undefined) throw new ConfigError('listener needs a port', directive.origin);
    const port = integerWord(directive, portWord, 0, 65535);
    const hasAddress = address !== undefined && !address.startsWith('#');
    if (hasAddress && extra !== undefined && !extra.startsWith('#')) {
      throw new ConfigError(`listener takes a port and an address, got '${directive.text}'`, directive.origin);
    }
    if (hasAddress && address.startsWith('/')) {
      throw new ConfigError(`listener ${portWord} ${address}: Unix socket listeners are not supported`, directive.origin);
    }
    const listener: DraftListener = {
      port, address: hasAddress ? address : undefined, origin: directive.origin, isDefault: false, bag: { values: {}, origins: {} },
    };
    this.draft.listeners.push(listener);
    this.draft.declaresListeners = true;
    return listener;
  }

  /** Marks mosquitto's default listener as configured, so it is opened. */
  private configureDefaultListener(directive: Directive): DraftListener {
    const listener = this.draft.defaultListener;
    listener.origin ??= directive.origin;
    this.draft.defaultListenerUsed = true;
    if (directive.key === 'port' || directive.key === 'bind_address') this.draft.declaresListeners = true;
    return listener;
  }

  /** mosquitto lets a repeated `port` win with a warning; so does midge. */
  private setDefaultPort(directive: Directive): void {
    const port = parseInteger(directive, 0, 65535);
    const listener = this.configureDefaultListener(directive);
    if (listener.port !== undefined) this.draft.notices.push(`${formatOrigin(directive.origin)}: port is given more than once; ${port} is used`);
    listener.port = port;
  }

  private setBindAddress(directive: Directive): void {
    const address = parseName(directive);
    const listener = this.draft.defaultListener;
    if (listener.address !== undefined) throw new ConfigError('duplicate bind_address', directive.origin);
    this.configureDefaultListener(directive).address = address;
  }

  private include(directive: Directive, level: number): void {
    if (level > 0) throw new ConfigError('include_dir may only be used in the main config file', directive.origin);
    const dir = directive.text;
    if (dir === '') throw new ConfigError('missing value for include_dir', directive.origin);
    for (const file of listIncludeFiles(dir, this.context.cwd, directive.origin)) {
      this.draft.files.push(file);
      this.run(parseConfText(readConfigText(file, this.context.cwd, directive.origin), file), level + 1);
    }
  }

  /** mosquitto requires per_listener_settings before any security option; so does midge. */
  private setPerListenerSettings(directive: Directive): void {
    const value = parseBoolean(directive);
    const first = this.draft.firstSecurityOption;
    if (value !== this.draft.perListenerSettings && first) {
      throw new ConfigError(`per_listener_settings must come before any security option (one is set at ${formatOrigin(first)})`, directive.origin);
    }
    this.draft.perListenerSettings = value;
  }
}

/** Where an override layer comes from, for messages. */
export type OverrideLayer = 'environment' | 'command line';

/**
 * Applies an environment or command-line setting: global options are replaced outright
 * (lists included); security options also land on every listener when they are per listener.
 */
export function applyOverride(draft: Draft, directive: Directive, context: ParseContext, layer: OverrideLayer): void {
  const definition = OPTIONS.get(directive.key);
  if (!definition) {
    if (STRUCTURAL_OPTIONS.includes(directive.key)) {
      throw new ConfigError(`${directive.key} shapes the config file and cannot be set from the ${layer}`, directive.origin);
    }
    throw unknownOptionError(directive);
  }
  if (definition.scope === 'listener' || definition.scope === 'bridge') {
    throw new ConfigError(`${directive.key} is a ${definition.scope} option and cannot be set from the ${layer}`, directive.origin);
  }
  const value = definition.parse(directive, context);
  storeSetting(draft.global, definition, value, directive.origin, true);
  if (definition.scope === 'security' && draft.perListenerSettings) {
    for (const listener of [...draft.listeners, draft.defaultListener]) storeSetting(listener.bag, definition, value, directive.origin, true);
  }
}
