/**
 * Editing password files for `midge passwd`: pure line operations, plus an atomic writer that
 * leaves the file readable by its owner only.
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isPasswordHash } from './password-hash.js';
import type { PasswordFileEntryLine, PasswordFileLine } from './password-file.js';

/** The longest user name or password Mosquitto accepts, in bytes. */
export const MAX_CREDENTIAL_BYTES = 65_535;

/**
 * Why a user name cannot go in a password file, or undefined when it can. Mosquitto's rules
 * (at most 65,535 bytes, no control characters, no `:`), plus three that keep the file
 * unambiguous when read back: not empty, no blanks at either end (readers trim them), and not
 * starting with `#` (readers take that line for a comment).
 */
export function usernameProblem(username: string): string | undefined {
  if (username.length === 0) return 'User name must not be empty.';
  if (Buffer.byteLength(username) > MAX_CREDENTIAL_BYTES) return 'Username must be less than 65536 characters long.';
  if (/\p{Cc}/u.test(username)) return 'Username must not contain control characters.';
  if (username.includes(':')) return "Username must not contain the ':' character.";
  if (username.trim() !== username) return 'User name must not start or end with blanks.';
  if (username.startsWith('#')) return "User name must not start with '#'.";
  return undefined;
}

/** Why a password cannot be stored, or undefined when it can. */
export function passwordProblem(password: string): string | undefined {
  if (password.length === 0) return 'Empty password.';
  if (Buffer.byteLength(password) > MAX_CREDENTIAL_BYTES) return 'Password must be less than 65536 characters long.';
  return undefined;
}

function entryLine(username: string, secret: string): PasswordFileEntryLine {
  return { kind: 'entry', lineNumber: 0, text: `${username}:${secret}`, username, secret };
}

/**
 * Sets a user's hash: replaces the user's first line in place and drops any later duplicates
 * (Mosquitto would rewrite each of them), or appends a line for a new user.
 */
export function upsertEntry(lines: readonly PasswordFileLine[], username: string, encodedHash: string): PasswordFileLine[] {
  const result: PasswordFileLine[] = [];
  let replaced = false;
  for (const line of lines) {
    if (line.kind === 'entry' && line.username === username) {
      if (!replaced) result.push(entryLine(username, encodedHash));
      replaced = true;
    } else {
      result.push(line);
    }
  }
  if (!replaced) result.push(entryLine(username, encodedHash));
  return result;
}

/** Removes every line of the user; `removed` counts them. */
export function removeEntry(lines: readonly PasswordFileLine[], username: string): { lines: PasswordFileLine[]; removed: number } {
  const kept = lines.filter((line) => line.kind !== 'entry' || line.username !== username);
  return { lines: kept, removed: lines.length - kept.length };
}

/**
 * Replaces plain-text secrets with hashes (`-U`). Unlike `mosquitto_passwd -U`, which hashes
 * every line and so double-hashes a file converted before, entries that already hold a valid
 * hash (`$6$`/`$7$`, or what `isHashed` recognises) are left alone, which makes the
 * conversion safe to repeat.
 */
export async function hashPlaintextEntries(
  lines: readonly PasswordFileLine[],
  hash: (plainText: string) => Promise<string>,
  isHashed: (secret: string) => boolean = isPasswordHash,
): Promise<{ lines: PasswordFileLine[]; converted: number }> {
  const result: PasswordFileLine[] = [];
  let converted = 0;
  for (const line of lines) {
    if (line.kind === 'entry' && !isHashed(line.secret)) {
      result.push(entryLine(line.username, await hash(line.secret)));
      converted++;
    } else {
      result.push(line);
    }
  }
  return { lines: result, converted };
}

/** The file text for the lines, newline-terminated. */
export function renderPasswordFile(lines: readonly PasswordFileLine[]): string {
  return lines.map((line) => `${line.text}\n`).join('');
}

async function resolveTarget(path: string): Promise<string> {
  try {
    // Follow a symlink so that the link survives and its target is what gets replaced.
    return await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw err;
  }
}

/**
 * Writes the file atomically with mode 0600: the text goes to a new file beside it, which is
 * then renamed over it, so a crash never leaves a half-written password file and the hashes
 * are never readable by other users, even for a moment.
 */
export async function writePasswordFile(path: string, text: string): Promise<void> {
  const target = await resolveTarget(path);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.chmod(0o600); // open()'s mode is filtered by the umask; this is not
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temporary, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
