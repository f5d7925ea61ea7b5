import { createHmac, randomBytes } from 'node:crypto';
import type { AdmittedClient, AuthenticationResult, Authenticator, ConnectCredentials } from '../broker/ports/auth.js';
import { ReasonCode } from '../protocol/index.js';
import { BoundedCache } from './bounded-cache.js';
import { identityFromCertificate, type CertificateIdentity } from './certificate-identity.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { loadPasswordFile } from './password-file.js';
import { HASH_BYTES, SALT_BYTES, verifyPassword, type PasswordHash } from './password-hash.js';

/**
 * The settings Mosquitto keeps per listener (with `per_listener_settings`). Each
 * is given once for the authenticator and may be overridden per listener.
 */
export interface ListenerAuthSettings {
  /** Admit clients that send no user name (Mosquitto's `allow_anonymous`). Default false, as in Mosquitto 2. */
  allowAnonymous?: boolean;
  /**
   * Take the user name from the client certificate (`use_identity_as_username`,
   * `use_subject_as_username`). As in Mosquitto, the CONNECT user name and password are then
   * ignored and the password file is not consulted; a client without a certificate (or, for
   * `common-name`, without a CN) is refused with 0x86.
   */
  certificateIdentity?: CertificateIdentity;
}

/**
 * Options of {@link PasswordFileAuthenticator.open}. A broker with one security chain per
 * listener builds one authenticator per listener from that listener's settings; a broker with
 * one chain for all listeners passes the differences in `listeners`.
 */
export interface PasswordFileAuthenticatorOptions extends ListenerAuthSettings {
  /** The Mosquitto-format password file. */
  path: string;
  /** Overrides for particular listeners, keyed by {@link ConnectCredentials.listener}. */
  listeners?: Readonly<Record<string, ListenerAuthSettings>>;
  /**
   * What to answer for a user name the file does not list: `deny` (Mosquitto's behaviour) or
   * `ignore`, to let a later authenticator in the chain (say, JWT) decide. Default `deny`.
   */
  unknownUser?: 'deny' | 'ignore';
  /** Successful `$7$` verifications remembered, keyed by user and keyed hash of the password. Default 10,000. */
  verifiedCacheSize?: number;
  /** PBKDF2 computations run at once (each holds a libuv thread). Default 2. */
  maxConcurrentHashes?: number;
  /** PBKDF2 computations allowed to wait; beyond that CONNECTs are refused with 0x89 Server busy. Default 1,000. */
  maxQueuedHashes?: number;
}

function allow(): AuthenticationResult {
  return { outcome: 'allow' };
}

function deny(reasonCode: number, reason: string): AuthenticationResult {
  return { outcome: 'deny', reasonCode, reason };
}

/** The answer to a password check. */
function verdictOf(matches: boolean | 'busy'): AuthenticationResult {
  if (matches === 'busy') return deny(ReasonCode.ServerBusy, 'too many password checks waiting');
  return matches ? allow() : deny(ReasonCode.BadUserNameOrPassword, 'bad user name or password');
}

/** A hash shaped like the file's first entry, verified against for unknown users so they take as long as known ones. */
function decoyFor(table: ReadonlyMap<string, PasswordHash>): PasswordHash {
  const model = table.values().next().value;
  return {
    kind: model?.kind ?? 'sha512',
    iterations: model?.iterations ?? 1,
    salt: randomBytes(SALT_BYTES),
    hash: randomBytes(HASH_BYTES),
    encoded: '',
  };
}

/** Users of `before` whose entry is gone from `after`, or different in it. */
function changedUsers(before: ReadonlyMap<string, PasswordHash>, after: ReadonlyMap<string, PasswordHash>): Set<string> {
  const changed = new Set<string>();
  for (const [user, hash] of before) if (after.get(user)?.encoded !== hash.encoded) changed.add(user);
  return changed;
}

/**
 * Authenticates CONNECTs against a Mosquitto password file (`$6$` and `$7$` hashes).
 *
 * Reason codes: bad credentials (an unknown user, a user name without a password, a wrong
 * password) are 0x86 Bad User Name or Password (3.1.1: return code 4); an anonymous client
 * when anonymous access is off is 0x87 Not authorized (3.1.1: return code 5). Mosquitto
 * 2.0.11 answers 5 in every case, which hides from the user whether the password or the
 * policy refused them; midge tells them apart, as the MQTT specification's codes intend.
 * Anonymous means no user name at all; an empty user name is a user name.
 *
 * Successful PBKDF2 verifications are cached (bounded) so that a reconnect storm costs one
 * hash per user, and concurrent checks of the same credentials share one computation.
 */
export class PasswordFileAuthenticator implements Authenticator {
  /** Name for logs. */
  readonly name = 'password-file';
  readonly #options: PasswordFileAuthenticatorOptions;
  readonly #verified: BoundedCache<string, string>;
  readonly #inFlight = new Map<string, { encoded: string; result: Promise<boolean> }>();
  readonly #hashing: ConcurrencyLimit;
  readonly #maxQueued: number;
  // Cache keys use an HMAC under a per-process secret, so memory never holds a fast,
  // unkeyed hash of anyone's password.
  readonly #cacheKeySecret = randomBytes(32);
  #table: ReadonlyMap<string, PasswordHash>;
  /** Users whose entry the last reload removed or changed. */
  #changedOnReload: ReadonlySet<string> = new Set();
  #decoy: PasswordHash;
  #hashesComputed = 0;
  #cacheHits = 0;

  private constructor(options: PasswordFileAuthenticatorOptions, table: ReadonlyMap<string, PasswordHash>) {
    this.#options = options;
    this.#table = table;
    this.#decoy = decoyFor(table);
    this.#verified = new BoundedCache(options.verifiedCacheSize ?? 10_000);
    this.#hashing = new ConcurrencyLimit(options.maxConcurrentHashes ?? 2);
    this.#maxQueued = options.maxQueuedHashes ?? 1_000;
  }

  /** Reads the password file and returns an authenticator for it; rejects with an AuthFileError when it is malformed. */
  static async open(options: PasswordFileAuthenticatorOptions): Promise<PasswordFileAuthenticator> {
    return new PasswordFileAuthenticator(options, await loadPasswordFile(options.path));
  }

  /** Number of users in the file as last loaded. */
  get userCount(): number {
    return this.#table.size;
  }

  /** Counters for metrics: hashes computed, and checks answered from the cache or a shared computation. */
  get stats(): { hashesComputed: number; cacheHits: number } {
    return { hashesComputed: this.#hashesComputed, cacheHits: this.#cacheHits };
  }

  /**
   * Re-reads the password file. When the new file cannot be read or parsed, the users loaded
   * before stay in force and the promise rejects with the error: a broken file never opens
   * the broker and never locks everyone out.
   */
  async reload(): Promise<void> {
    const table = await loadPasswordFile(this.#options.path);
    this.#changedOnReload = changedUsers(this.#table, table);
    this.#table = table;
    this.#decoy = decoyFor(table);
  }

  /**
   * After {@link reload}: a client admitted by its password is revoked when its user left
   * the file or the reload changed its password. Certificate identities are left to the
   * CRL, anonymous clients to the (unchanged) policy.
   */
  revoked(client: AdmittedClient): string | undefined {
    const username = client.username;
    if (username === undefined || this.#identityFor(client.listener)) return undefined;
    if (!this.#table.has(username)) return this.#options.unknownUser === 'ignore' ? undefined : 'the user was removed from the password file';
    return this.#changedOnReload.has(username) ? 'the user\'s password was changed' : undefined;
  }

  /** The overrides of a listener, if any. */
  #settingsFor(listener: string): ListenerAuthSettings | undefined {
    const listeners = this.#options.listeners;
    // hasOwn: a listener named `constructor` must not find Object.prototype's.
    return listeners && Object.hasOwn(listeners, listener) ? listeners[listener] : undefined;
  }

  /** The certificate identity a listener uses instead of passwords, if any. */
  #identityFor(listener: string): CertificateIdentity | undefined {
    return this.#settingsFor(listener)?.certificateIdentity ?? this.#options.certificateIdentity;
  }

  /**
   * Decides a CONNECT; see the class notes for the reason codes. Answers at once (no
   * promise) when no hash has to be computed: anonymous clients, certificate identities,
   * passwords verified before.
   */
  authenticate(credentials: ConnectCredentials): AuthenticationResult | Promise<AuthenticationResult> {
    const identity = this.#identityFor(credentials.listener);
    if (identity) return identityFromCertificate(credentials.certificate, identity);
    if (credentials.username === undefined) {
      const allowAnonymous = this.#settingsFor(credentials.listener)?.allowAnonymous ?? this.#options.allowAnonymous ?? false;
      return allowAnonymous ? allow() : deny(ReasonCode.NotAuthorized, 'anonymous clients are not allowed');
    }
    if (credentials.password === undefined) return deny(ReasonCode.BadUserNameOrPassword, 'no password given');
    const stored = this.#table.get(credentials.username);
    if (!stored) {
      if (this.#options.unknownUser === 'ignore') return { outcome: 'ignore' };
      if (this.#hashing.queued >= this.#maxQueued) return deny(ReasonCode.ServerBusy, 'too many password checks waiting');
      return this.#hashing.run(() => this.#verify(credentials.password as Buffer, this.#decoy))
        .then(() => deny(ReasonCode.BadUserNameOrPassword, 'bad user name or password'));
    }
    const matches = this.#check(credentials.username, credentials.password, stored);
    return typeof matches === 'object' ? matches.then(verdictOf) : verdictOf(matches);
  }

  /**
   * Checks a password against the user's hash. A password verified before (or being
   * verified now) is answered from the cache first, before any "busy" refusal: wrong passwords flooding the hash
   * queue must not lock out a client whose password is known good.
   */
  #check(username: string, password: Buffer, stored: PasswordHash): boolean | 'busy' | Promise<boolean> {
    // A single SHA-512 is cheaper than the cache bookkeeping.
    if (stored.kind === 'sha512') return this.#verify(password, stored);
    const key = `${username.length}:${username}:${createHmac('sha256', this.#cacheKeySecret).update(password).digest('base64')}`;
    // The entry remembers which hash it was verified against, so a changed password
    // (after reload) is never served from the cache.
    if (this.#verified.get(key) === stored.encoded) {
      this.#cacheHits++;
      return true;
    }
    const pending = this.#inFlight.get(key);
    if (pending && pending.encoded === stored.encoded) {
      this.#cacheHits++;
      return pending.result;
    }
    if (this.#hashing.queued >= this.#maxQueued) return 'busy';
    const result = this.#hashing.run(() => this.#verify(password, stored)).then((ok) => {
      if (ok) this.#verified.set(key, stored.encoded);
      return ok;
    });
    const entry = { encoded: stored.encoded, result };
    this.#inFlight.set(key, entry);
    const settled = (): void => {
      if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key);
    };
    result.then(settled, settled);
    return result;
  }

  #verify(password: Buffer, stored: PasswordHash): Promise<boolean> {
    this.#hashesComputed++;
    return verifyPassword(password, stored);
  }
}
