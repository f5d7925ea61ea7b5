import { readFileSync } from 'node:fs';

/**
 * The version of the midge package, read from the package.json two levels above
 * this module (from src/server/ and from dist/server/ alike). Servers report it in
 * `$SYS/broker/version` and the admin API, whoever started them.
 */
export const packageVersion: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
