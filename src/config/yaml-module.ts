import type * as YamlModule from 'yaml';
import { createRequire } from 'node:module';

/**
 * The `yaml` package, loaded the first time a YAML config is read or a config is written
 * out as YAML rather than with this module: a broker started from a mosquitto.conf does not
 * carry its ~80 files and ~1 MB of heap, which makes each of V8's full collections slower.
 */
export function yamlModule(): typeof YamlModule {
  return (loaded ??= createRequire(import.meta.url)('yaml') as typeof YamlModule);
}

let loaded: typeof YamlModule | undefined;
