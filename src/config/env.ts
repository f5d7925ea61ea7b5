import { makeDirective, type Directive } from './directive.js';
import { OPTIONS, STRUCTURAL_OPTIONS } from './options.js';

/** Environment variables named `MIDGE_<OPTION>` override global options. */
export const ENVIRONMENT_PREFIX = 'MIDGE_';

/** `MIDGE_` variables that are not settings: the command line reads them itself. */
const NOT_SETTINGS: ReadonlySet<string> = new Set(['MIDGE_CONFIG']);

/** The settings found in an environment, and what was there but is not a setting. */
export interface EnvironmentSettings {
  directives: Directive[];
  /** Unknown `MIDGE_` variables: reported as warnings, not errors, since other tools share the prefix. */
  notices: string[];
}

/**
 * Reads `MIDGE_MAX_PACKET_SIZE=2048` as `max_packet_size 2048`, in a stable (sorted) order.
 * List options take blank-separated values and replace the file's list. `MIDGE_MAX_CONNECTIONS`
 * sets the default for listeners that set none. Listener options cannot be set this way.
 * The directive's origin names the variable, so a bad value is reported against it.
 */
export function environmentSettings(env: NodeJS.ProcessEnv): EnvironmentSettings {
  const directives: Directive[] = [];
  const notices: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(ENVIRONMENT_PREFIX) || NOT_SETTINGS.has(name) || value === undefined) continue;
    const key = name.slice(ENVIRONMENT_PREFIX.length).toLowerCase();
    if (!OPTIONS.has(key) && !STRUCTURAL_OPTIONS.includes(key)) {
      notices.push(`environment variable ${name} is not a midge setting and was ignored`);
      continue;
    }
    directives.push(makeDirective(key, value, { source: `environment variable ${name}` }));
  }
  return { directives, notices };
}
