/**
 * Reading Mosquitto password files: one `user:hash` entry per line, `#` comments and blank
 * lines allowed. The broker reads them strictly (every entry a `$6$`/`$7$` hash, a malformed
 * line is an error naming file and line); `midge passwd` reads them leniently (plain-text
 * entries allowed, so that `-U` can hash them).
 */
import { readFile } from 'node:fs/promises';
import { AuthFileError } from './errors.js';
import { parsePasswordHash, type PasswordHash } from './password-hash.js';

/** A line that is not an entry, kept verbatim so that `midge passwd` preserves it. */
export interface PasswordFileOtherLine {
  kind: 'blank' | 'comment';
  lineNumber: number;
  text: string;
}

/** A `user:secret` line; the secret is a hash, or plain text in a file awaiting `-U`. */
export interface PasswordFileEntryLine {
  kind: 'entry';
  lineNumber: number;
  text: string;
  username: string;
  secret: string;
}

/** One line of a password file. */
export type PasswordFileLine = PasswordFileOtherLine | PasswordFileEntryLine;

/** The users of a password file and their hashes. */
export type PasswordTable = ReadonlyMap<string, PasswordHash>;

/**
 * Splits a password file into lines. Like Mosquitto, the user name ends at the first `:` and
 * blanks around user name and secret are ignored; unlike Mosquitto (which splits the secret at
 * the next `:` too), the secret is the rest of the line, so a plain-text password containing
 * `:` is not silently cut short.
 */
export function splitPasswordFile(text: string, file: string): PasswordFileLine[] {
  const rows = text.split(/\r?\n/);
  // A final newline ends the last line; it does not start an empty one.
  if (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  return rows.map((row, index) => classifyLine(row, index + 1, file));
}

function classifyLine(text: string, lineNumber: number, file: string): PasswordFileLine {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'blank', lineNumber, text };
  if (trimmed.startsWith('#')) return { kind: 'comment', lineNumber, text };
  const colon = text.indexOf(':');
  if (colon < 0) throw new AuthFileError(file, lineNumber, "expected 'username:password-hash'");
  const username = text.slice(0, colon).trim();
  const secret = text.slice(colon + 1).trim();
  if (username === '') throw new AuthFileError(file, lineNumber, 'empty user name');
  if (secret === '') throw new AuthFileError(file, lineNumber, `empty password hash for user '${username}'`);
  return { kind: 'entry', lineNumber, text, username, secret };
}

/**
 * Parses a password file for the broker. Every entry must be a valid `$6$` or `$7$` hash and
 * every user name unique; anything else throws an {@link AuthFileError} with the line. (Mosquitto
 * logs and skips such entries; a broker that quietly drops a user is harder to debug.)
 */
export function parsePasswordFile(text: string, file: string): Map<string, PasswordHash> {
  const table = new Map<string, PasswordHash>();
  const firstLine = new Map<string, number>();
  for (const line of splitPasswordFile(text, file)) {
    if (line.kind !== 'entry') continue;
    const earlier = firstLine.get(line.username);
    if (earlier !== undefined) {
      throw new AuthFileError(file, line.lineNumber, `user '${line.username}' already defined on line ${earlier}`);
    }
    let hash: PasswordHash;
    try {
      hash = parsePasswordHash(line.secret);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new AuthFileError(file, line.lineNumber, `user '${line.username}': ${why}`);
    }
    table.set(line.username, hash);
    firstLine.set(line.username, line.lineNumber);
  }
  return table;
}

/** Reads and parses a password file; see {@link parsePasswordFile}. */
export async function loadPasswordFile(path: string): Promise<Map<string, PasswordHash>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AuthFileError(path, undefined, `cannot read password file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parsePasswordFile(text, path);
}
