/**
 * What `midge passwd` writes for a password: a Mosquitto hash (`$7$`, `$6$`) for a
 * `password_file`, or a SCRAM-SHA-256 verifier for a `scram_users_file` (`-H scram-sha-256`).
 * The two never share a file: the broker reads each kind from its own key.
 */
import { InvalidArgumentError } from 'commander';
import { DEFAULT_PBKDF2_ITERATIONS, hashPassword, isPasswordHash, type PasswordHashKind } from '../../auth/index.js';
import { formatScramVerifier, isScramVerifier, scramCredential } from '../../auth/scram/index.js';

/** The `-H` choices. */
export type SecretKind = PasswordHashKind | 'scram-sha-256';

/**
 * PBKDF2 iterations of a new SCRAM-SHA-256 verifier: RFC 7677's minimum, which every
 * SCRAM client accepts. A client computes them at each connection, the broker never.
 */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

/** `-H`: sha512-pbkdf2, sha512 or scram-sha-256. */
export function parseSecretKind(value: string): SecretKind {
  if (value === 'sha512' || value === 'sha512-pbkdf2' || value === 'scram-sha-256') return value;
  throw new InvalidArgumentError(`unknown hash type '${value}' (use sha512-pbkdf2, sha512 or scram-sha-256)`);
}

/** How passwords of one kind are stored. */
export interface SecretFormat {
  /** The secret to store for a password. */
  encode(password: string): Promise<string>;
  /** True for a secret already stored this way (`-U` leaves it alone). */
  isEncoded(secret: string): boolean;
  /** Why an entry already in the file means the file is of the other kind, or undefined. */
  otherKind(secret: string): string | undefined;
}

/** The format of `-H kind`, with `-I iterations` or the kind's default. */
export function secretFormat(kind: SecretKind, iterations: number | undefined): SecretFormat {
  if (kind === 'scram-sha-256') {
    return {
      encode: async (password) => formatScramVerifier(scramCredential(password, iterations ?? DEFAULT_SCRAM_ITERATIONS)),
      isEncoded: isScramVerifier,
      otherKind: (secret) => (isPasswordHash(secret)
        ? 'it holds Mosquitto password hashes (a password_file); SCRAM-SHA-256 verifiers go in a file of their own, read by scram_users_file'
        : undefined),
    };
  }
  return {
    encode: async (password) => (await hashPassword(password, { kind, iterations: iterations ?? DEFAULT_PBKDF2_ITERATIONS })).encoded,
    isEncoded: isPasswordHash,
    otherKind: (secret) => (isScramVerifier(secret) ? 'it holds SCRAM-SHA-256 verifiers (a scram_users_file): use -H scram-sha-256' : undefined),
  };
}
