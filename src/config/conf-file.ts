import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDirective, type Directive } from './directive.js';
import { ConfigError, type Origin } from './errors.js';

/**
 * Reads a file as text. `written` is the path as the user gave it (used in messages);
 * relative paths are taken from `cwd`.
 */
export function readConfigText(written: string, cwd: string, origin?: Origin): string {
  const path = resolve(cwd, written);
  try {
    if (statSync(path).isDirectory()) throw new ConfigError(`config file '${written}' is a directory`, origin);
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(`cannot read config file '${written}' (${reason})`, origin);
  }
}

/**
 * The directives of a mosquitto.conf-syntax text: one `key value...` per line, blank lines
 * and lines starting with `#` skipped (leading blanks allowed, which mosquitto also tolerates).
 */
export function parseConfText(text: string, source: string): Directive[] {
  const directives: Directive[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const key = /^\S+/.exec(line)![0];
    directives.push(makeDirective(key, line.slice(key.length), { source, line: index + 1 }));
  }
  return directives;
}

/**
 * mosquitto's include_dir order: case-insensitive first, and where two names differ only in
 * case, capitals first (`00.conf 01.conf A.conf a.conf b.conf`).
 */
export function compareIncludeNames(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const folded = a[i]!.toUpperCase().charCodeAt(0) - b[i]!.toUpperCase().charCodeAt(0);
    if (folded !== 0) return folded;
    const exact = a.charCodeAt(i) - b.charCodeAt(i);
    if (exact !== 0) return exact;
  }
  return a.length - b.length;
}

/** The `*.conf` files of an include_dir in load order, as paths written from `dir`. */
export function listIncludeFiles(dir: string, cwd: string, origin: Origin): string[] {
  let names: string[];
  try {
    names = readdirSync(resolve(cwd, dir), { withFileTypes: true })
      .filter((entry) => entry.name.endsWith('.conf') && !entry.isDirectory())
      .map((entry) => entry.name);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(`cannot read include_dir '${dir}' (${reason})`, origin);
  }
  return names.sort(compareIncludeNames).map((name) => join(dir, name));
}
