import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * Checks that an external program (a Debian binary) is installed. Outside CI a
 * missing program skips the test; under CI=true it fails it, because CI must
 * install everything the tests need.
 */
export function requireBinary(t: TestContext, path: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === 'true') throw new Error(`${path} is not installed (CI must install it: see .ci/run)`);
  t.skip(`${path} is not installed`);
  return false;
}
