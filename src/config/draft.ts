import { ConfigError, formatOrigin, type Origin } from './errors.js';
import type { OptionDefinition } from './option-spec.js';
import type { SettingName, SettingValues } from './options.js';

/** Values set in one place (the broker, or one listener), with where each was set. */
export interface SettingBag {
  values: Partial<SettingValues>;
  origins: Partial<Record<SettingName, Origin>>;
}

/** A listener while the configuration is being read. */
export interface DraftListener {
  /** undefined for mosquitto's default listener until `port` is given. */
  port: number | undefined;
  address: string | undefined;
  /** The `listener` line, or for the default listener the first line that configured it. */
  origin: Origin | undefined;
  /** mosquitto's default listener: what `port`, `bind_address` and listener options before any `listener` line configure. */
  isDefault: boolean;
  bag: SettingBag;
}

/** A bridge (`connection NAME`) while the configuration is being read. */
export interface DraftBridge {
  name: string;
  /** The `connection` line. */
  origin: Origin;
  bag: SettingBag;
}

/** Everything read so far, before defaults are filled in. */
export interface Draft {
  global: SettingBag;
  /** Listeners declared with `listener`, in order. */
  listeners: DraftListener[];
  defaultListener: DraftListener;
  /** Bridges declared with `connection`, in order. */
  bridges: DraftBridge[];
  /** A `listener`, `port` or `bind_address` line exists: mosquitto then leaves local-only mode. */
  declaresListeners: boolean;
  /** The default listener was configured, so it is opened (after the declared ones, as mosquitto does). */
  defaultListenerUsed: boolean;
  /** With per_listener_settings, the first security option that landed on the default listener. */
  defaultListenerSecurity: { key: string; origin: Origin } | undefined;
  perListenerSettings: boolean;
  /** The first security option read: per_listener_settings may not change after it. */
  firstSecurityOption: Origin | undefined;
  /** mosquitto options accepted without effect, with where each was first written. */
  acceptedWithoutEffect: Map<string, Origin>;
  /** Config files read, in order. */
  files: string[];
  /** Things to tell the user that are not settings (e.g. unknown MIDGE_ variables). */
  notices: string[];
}

/** An empty bag. */
export function emptyBag(): SettingBag {
  return { values: {}, origins: {} };
}

/** A draft with nothing read yet. */
export function emptyDraft(): Draft {
  return {
    global: emptyBag(),
    listeners: [],
    defaultListener: { port: undefined, address: undefined, origin: undefined, isDefault: true, bag: emptyBag() },
    bridges: [],
    declaresListeners: false,
    defaultListenerUsed: false,
    defaultListenerSecurity: undefined,
    perListenerSettings: false,
    firstSecurityOption: undefined,
    acceptedWithoutEffect: new Map(),
    files: [],
    notices: [],
  };
}

/**
 * Stores a parsed value by the option's repeat rule. `replace` is for the override layers
 * (environment, command line), which set a value outright, lists included.
 */
export function storeSetting(bag: SettingBag, definition: OptionDefinition, value: unknown, origin: Origin, replace: boolean): void {
  // The option table guarantees `value` has the slot's type and the slot is an option's
  // name; this is the one place that is erased.
  const values = bag.values as Record<string, unknown>;
  const slot = definition.slot as SettingName;
  const previous = values[slot];
  if (!replace && definition.repeat === 'append') {
    values[slot] = [...(Array.isArray(previous) ? previous : []), ...(value as unknown[])];
  } else if (!replace && definition.repeat === 'once' && previous !== undefined) {
    const first = bag.origins[slot];
    throw new ConfigError(`duplicate ${definition.name}${first ? ` (already set at ${formatOrigin(first)})` : ''}`, origin);
  } else {
    values[slot] = value;
  }
  bag.origins[slot] = origin;
}
