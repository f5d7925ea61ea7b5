import type { Origin } from './errors.js';
import type { MidgeConfig } from './types.js';

/** Where a loaded configuration came from; kept apart so the config itself stays plain data. */
export interface ConfigProvenance {
  /** Config files read, main file first, in reading order. */
  files: string[];
  /**
   * Where each listener was declared, index for index with `config.listeners`; undefined for
   * the listener midge opens when the configuration declares none.
   */
  listeners: (Origin | undefined)[];
  /** Where each global option was last set, by option name (aliases under the name they store as). */
  settings: ReadonlyMap<string, Origin>;
  /** Where each option accepted without effect was first written. */
  acceptedWithoutEffect: ReadonlyMap<string, Origin>;
  /** Things to tell the user that are not settings, e.g. an unknown MIDGE_ variable. */
  notices: string[];
}

const provenance = new WeakMap<MidgeConfig, ConfigProvenance>();

/** Attaches provenance to a config `loadConfig` built. */
export function recordProvenance(config: MidgeConfig, record: ConfigProvenance): void {
  provenance.set(config, record);
}

/**
 * Where the settings of a config returned by `loadConfig` came from; undefined for any other
 * object (a copy of the config included), in which case messages go without locations.
 */
export function configProvenance(config: MidgeConfig): ConfigProvenance | undefined {
  return provenance.get(config);
}
