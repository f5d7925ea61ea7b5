import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, loadConfig, type LoadConfigOptions, type MidgeConfig } from '../../src/config/index.js';

/**
 * A temporary directory holding config files and the files they name (certificates,
 * password files), removed by `cleanup()`. Configs load with an empty environment and the
 * directory as working directory, so relative paths resolve inside it.
 */
export class ConfigSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'midge-config-'));

  /** Writes a file (creating folders) and returns its absolute path. */
  write(name: string, content: string): string {
    const path = this.path(name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  /** Creates a folder and returns its absolute path. */
  folder(name: string): string {
    const path = this.path(name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** The absolute path of `name` inside the sandbox. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes `content` to `name` and loads it. */
  load(name: string, content: string, options: Omit<LoadConfigOptions, 'file'> = {}): MidgeConfig {
    return loadConfig({ env: {}, cwd: this.dir, ...options, file: this.write(name, content) });
  }

  /** Removes the sandbox and everything in it. */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Asserts `run` throws a ConfigError whose message starts with `where: ` (a `file:line` or a
 * variable) and contains `fragment`.
 */
export function assertConfigError(run: () => unknown, where: string, fragment: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${where}: `), `expected '${error.message}' to start with '${where}: '`);
    assert.ok(error.message.includes(fragment), `expected '${error.message}' to include '${fragment}'`);
    return true;
  });
}
