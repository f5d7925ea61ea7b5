/**
 * Mosquitto's password hash formats, as mosquitto 2.0 writes (`mosquitto_passwd`) and reads
 * (`security_default.c`, `unpwd__decode_passwords`) them:
 *
 * - `$6$<salt>$<hash>`: hash = SHA-512(password || salt), Mosquitto 1.x's format.
 * - `$7$<iterations>$<salt>$<hash>`: hash = PBKDF2-HMAC-SHA512(password, salt, iterations, 64),
 *   Mosquitto 2's default.
 *
 * Salt and hash are standard base64 with padding. Mosquitto 2.0 drops an entry whose salt does
 * not decode to exactly 12 bytes or whose hash does not decode to exactly 64, and reads the
 * iteration count with `atoi`, accepting any count of at least 1.
 */
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Salt length Mosquitto writes and insists on when reading. */
export const SALT_BYTES = 12;
/** SHA-512 output length; Mosquitto insists on it when reading. */
export const HASH_BYTES = 64;
/** Iterations mosquitto_passwd 2.0 writes by default (`PW_DEFAULT_ITERATIONS`). */
export const MOSQUITTO_DEFAULT_ITERATIONS = 101;
/**
 * Iterations `midge passwd` writes by default: OWASP's 2023 recommendation for
 * PBKDF2-HMAC-SHA512. Mosquitto 2.0.11 reads it (any count >= 1 that fits a C int).
 */
export const DEFAULT_PBKDF2_ITERATIONS = 210_000;
/** Largest iteration count Mosquitto can read (it parses the count into a C `int`). */
export const MAX_ITERATIONS = 2_147_483_647;

/** The two hash kinds: Mosquitto's `-H sha512` and `-H sha512-pbkdf2`. */
export type PasswordHashKind = 'sha512' | 'sha512-pbkdf2';

/** A decoded password hash as stored in a password file. */
export interface PasswordHash {
  kind: PasswordHashKind;
  /** PBKDF2 iterations; 1 for `sha512`, which has none. */
  iterations: number;
  salt: Buffer;
  hash: Buffer;
  /** The hash exactly as written in the file (`$7$...`), for comparing entries across reloads. */
  encoded: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(text: string, bytes: number, what: string): Buffer {
  if (!BASE64.test(text)) throw new Error(`${what} is not valid base64`);
  const decoded = Buffer.from(text, 'base64');
  if (decoded.length !== bytes) throw new Error(`${what} must be ${bytes} bytes, got ${decoded.length}`);
  return decoded;
}

function parseIterations(text: string): number {
  // Stricter than Mosquitto's atoi, which would read "101abc" as 101.
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new Error(`iteration count '${text}' is not a positive integer`);
  const iterations = Number(text);
  if (iterations > MAX_ITERATIONS) throw new Error(`iteration count ${text} is larger than ${MAX_ITERATIONS}`);
  return iterations;
}

/**
 * Decodes a `$6$...` or `$7$...` hash. Throws an Error saying what is wrong (without a file
 * location; callers add it).
 */
export function parsePasswordHash(encoded: string): PasswordHash {
  const parts = encoded.split('$');
  if (parts[0] !== '' || parts.length < 4) throw new Error('not a $6$ or $7$ password hash');
  if (parts[1] === '6' && parts.length === 4) {
    const salt = decodeBase64(parts[2]!, SALT_BYTES, 'salt');
    const hash = decodeBase64(parts[3]!, HASH_BYTES, 'hash');
    return { kind: 'sha512', iterations: 1, salt, hash, encoded };
  }
  if (parts[1] === '7' && parts.length === 5) {
    const iterations = parseIterations(parts[2]!);
    const salt = decodeBase64(parts[3]!, SALT_BYTES, 'salt');
    const hash = decodeBase64(parts[4]!, HASH_BYTES, 'hash');
    return { kind: 'sha512-pbkdf2', iterations, salt, hash, encoded };
  }
  throw new Error(`unsupported password hash '$${parts[1]}$...' (expected $6$<salt>$<hash> or $7$<iterations>$<salt>$<hash>)`);
}

/** True when the text is a well-formed `$6$` or `$7$` hash. */
export function isPasswordHash(text: string): boolean {
  try {
    parsePasswordHash(text);
    return true;
  } catch {
    return false;
  }
}

function encode(kind: PasswordHashKind, iterations: number, salt: Buffer, hash: Buffer): string {
  return kind === 'sha512'
    ? `$6$${salt.toString('base64')}$${hash.toString('base64')}`
    : `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

async function digest(kind: PasswordHashKind, password: Buffer, salt: Buffer, iterations: number): Promise<Buffer> {
  if (kind === 'sha512') return createHash('sha512').update(password).update(salt).digest();
  // Async so that the many iterations run on libuv's thread pool, not the event loop.
  return pbkdf2Async(password, salt, iterations, HASH_BYTES, 'sha512');
}

/** Options for {@link hashPassword}. */
export interface HashPasswordOptions {
  /** Default `sha512-pbkdf2`. */
  kind?: PasswordHashKind;
  /** Default {@link DEFAULT_PBKDF2_ITERATIONS}; ignored for `sha512`. */
  iterations?: number;
  /** A fixed salt, for tests; default 12 random bytes. */
  salt?: Buffer;
}

/** Hashes a password with a fresh random salt, as `mosquitto_passwd` does. */
export async function hashPassword(password: string | Buffer, options: HashPasswordOptions = {}): Promise<PasswordHash> {
  const kind = options.kind ?? 'sha512-pbkdf2';
  const iterations = kind === 'sha512' ? 1 : options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`iterations must be an integer from 1 to ${MAX_ITERATIONS}, got ${iterations}`);
  }
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  if (salt.length !== SALT_BYTES) throw new RangeError(`salt must be ${SALT_BYTES} bytes`);
  const hash = await digest(kind, Buffer.from(password), salt, iterations);
  return { kind, iterations, salt, hash, encoded: encode(kind, iterations, salt, hash) };
}

/**
 * Does the password match the stored hash? The comparison takes the same time wherever the
 * first differing byte is. The whole password is hashed: Mosquitto stops at the first NUL byte
 * (it treats the password as a C string), midge does not, so `abc\0xyz` never matches `abc`.
 */
export async function verifyPassword(password: Buffer, stored: PasswordHash): Promise<boolean> {
  const computed = await digest(stored.kind, password, stored.salt, stored.iterations);
  return computed.length === stored.hash.length && timingSafeEqual(computed, stored.hash);
}
