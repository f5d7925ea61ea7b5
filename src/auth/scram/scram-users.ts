import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What the server keeps for a SCRAM-SHA-256 user (RFC 5802 section 3): never the password. */
export interface ScramCredential {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The line format, as PostgreSQL stores SCRAM verifiers: `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`. */
const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Derives the SCRAM-SHA-256 verifier for a password (RFC 5802, RFC 7677). */
export function scramCredential(password: string, iterations = 4096, salt: Buffer = randomBytes(16)): ScramCredential {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    iterations,
    salt,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, the part of a users-file line after `user:`. */
export function formatScramVerifier(c: ScramCredential): string {
  return `SCRAM-SHA-256$${c.iterations}:${c.salt.toString('base64')}$${c.storedKey.toString('base64')}:${c.serverKey.toString('base64')}`;
}

/** `user:SCRAM-SHA-256$...` for a users file. */
export function formatScramLine(user: string, c: ScramCredential): string {
  return `${user}:${formatScramVerifier(c)}`;
}

/** True when `text` is a SCRAM-SHA-256 verifier as a users file holds it. */
export function isScramVerifier(text: string): boolean {
  return VERIFIER.test(text);
}

/** Parses a SCRAM users file; a bad line is an error naming the file and line. */
export function parseScramUsers(text: string, file = 'scram users file'): Map<string, ScramCredential> {
  const users = new Map<string, ScramCredential>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const match = colon > 0 ? VERIFIER.exec(line.slice(colon + 1)) : null;
    if (!match) throw new Error(`${file}:${i + 1}: expected 'user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>'`);
    users.set(line.slice(0, colon), {
      iterations: Number(match[1]),
      salt: Buffer.from(match[2]!, 'base64'),
      storedKey: Buffer.from(match[3]!, 'base64'),
      serverKey: Buffer.from(match[4]!, 'base64'),
    });
  });
  return users;
}

/** Reads a SCRAM users file. */
export function loadScramUsers(file: string): Map<string, ScramCredential> {
  return parseScramUsers(readFileSync(file, 'utf8'), file);
}
