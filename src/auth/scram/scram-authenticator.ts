import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthStep, EnhancedAuthContext, EnhancedAuthExchange, EnhancedAuthenticator } from '../../broker/ports/auth.js';
import { scramCredential, type ScramCredential } from './scram-users.js';
import { ReasonCode } from '../../protocol/index.js';


/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as an MQTT 5 enhanced authentication method:
 * client-first in CONNECT, server-first in AUTH 0x18, client-final in AUTH 0x18,
 * server-final in the CONNACK (or the final AUTH of a re-authentication).
 */
export class ScramSha256Authenticator implements EnhancedAuthenticator {
  readonly method = 'SCRAM-SHA-256';
  /** A verifier for unknown users, so their exchange looks like anyone's and fails at the end. */
  private readonly decoy = scramCredential(randomBytes(16).toString('hex'), 4096);

  constructor(private users: ReadonlyMap<string, ScramCredential>) {}

  /** Users the last {@link setUsers} removed or gave new credentials. */
  private changed: ReadonlySet<string> = new Set();

  /** Swaps in a new set of users (hot reload). */
  setUsers(users: ReadonlyMap<string, ScramCredential>): void {
    const changed = new Set<string>();
    for (const [user, old] of this.users) {
      const now = users.get(user);
      if (!now || !now.storedKey.equals(old.storedKey) || !now.salt.equals(old.salt)) changed.add(user);
    }
    this.users = users;
    this.changed = changed;
  }

  /** After {@link setUsers}: a user who left the file, or whose credentials changed, loses access. */
  revoked(username: string | undefined): string | undefined {
    if (username === undefined || !this.changed.has(username)) return undefined;
    return this.users.has(username) ? 'the user\'s SCRAM credentials were changed' : 'the user was removed from the SCRAM users file';
  }

  begin(_context: EnhancedAuthContext): EnhancedAuthExchange {
    return new ScramExchange((user) => this.users.get(user), this.decoy);
  }
}

class ScramExchange implements EnhancedAuthExchange {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | undefined;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(private readonly lookup: (user: string) => ScramCredential | undefined, private readonly decoy: ScramCredential) {}

  step(data: Buffer | undefined): AuthStep {
    const message = data?.toString('utf8') ?? '';
    if (this.state === 'first') return this.first(message);
    if (this.state === 'final') return this.final(message);
    return fail(ReasonCode.NotAuthorized, 'the SCRAM exchange is already complete');
  }

  /** client-first-message: `n,,n=user,r=nonce` (no channel binding). */
  private first(message: string): AuthStep {
    const match = /^n,(?:a=[^,]*)?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/.exec(message);
    if (!match) return fail(ReasonCode.NotAuthorized, 'malformed SCRAM client-first-message');
    this.clientFirstBare = match[1]!;
    this.user = match[2]!.replaceAll('=2C', ',').replaceAll('=3D', '=');
    this.credential = this.lookup(this.user);
    const cred = this.credential ?? this.decoy;
    this.nonce = match[3]! + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${cred.salt.toString('base64')},i=${cred.iterations}`;
    this.state = 'final';
    return { outcome: 'continue', data: Buffer.from(this.serverFirst) };
  }

  /** client-final-message: `c=biws,r=nonce,p=proof`; checks the proof, answers `v=signature`. */
  private final(message: string): AuthStep {
    this.state = 'done';
    const match = /^(c=([^,]*),r=([^,]+)(?:,.*)?),p=([A-Za-z0-9+/=]+)$/.exec(message);
    if (!match || match[3] !== this.nonce) return fail(ReasonCode.NotAuthorized, 'malformed SCRAM client-final-message');
    const cred = this.credential;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${match[1]}`;
    const proof = Buffer.from(match[4]!, 'base64');
    if (!cred || proof.length !== 32) return fail(ReasonCode.BadUserNameOrPassword, 'bad user name or password');
    const clientSignature = createHmac('sha256', cred.storedKey).update(authMessage).digest();
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const storedKey = createHash('sha256').update(clientKey).digest();
    if (!timingSafeEqual(storedKey, cred.storedKey)) return fail(ReasonCode.BadUserNameOrPassword, 'bad user name or password');
    const serverSignature = createHmac('sha256', cred.serverKey).update(authMessage).digest('base64');
    return { outcome: 'success', data: Buffer.from(`v=${serverSignature}`), username: this.user };
  }
}

function fail(reasonCode: number, reason: string): AuthStep {
  return { outcome: 'failure', reasonCode, reason };
}
