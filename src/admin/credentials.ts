import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedAdminOptions } from './options.js';

/** Who made an authorized admin request, for the audit log. */
export interface AdminIdentity {
  kind: 'user' | 'token';
  /** The user name, or `token`. */
  name: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Decides admin requests from their `Authorization` header: HTTP Basic for the
 * users named in `adminUsers` (checked by the injected `verifyAdmin`, i.e. the
 * password file), or `Bearer <adminToken>`. Nothing configured: nobody is admitted.
 *
 * The API takes credentials from that header only, never from cookies, so another
 * site cannot make a browser send them (no CSRF to defend against).
 */
export class AdminCredentials {
  private readonly users: ReadonlySet<string>;
  /** The token's digest: comparing digests in constant time hides the token's length too. */
  private readonly tokenDigest: Buffer | undefined;

  constructor(private readonly options: ResolvedAdminOptions) {
    this.users = new Set(options.verifyAdmin ? options.adminUsers : []);
    this.tokenDigest = options.adminToken ? digest(options.adminToken) : undefined;
  }

  /** False when neither users nor a token are configured (every request is then refused). */
  get configured(): boolean {
    return this.users.size > 0 || this.tokenDigest !== undefined;
  }

  /** The identity the header proves, or undefined. */
  async check(header: string | undefined): Promise<AdminIdentity | undefined> {
    if (!header) return undefined;
    const space = header.indexOf(' ');
    if (space < 0) return undefined;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return this.checkToken(value);
    if (scheme === 'basic') return this.checkBasic(value);
    return undefined;
  }

  private checkToken(token: string): AdminIdentity | undefined {
    if (!this.tokenDigest || !timingSafeEqual(digest(token), this.tokenDigest)) return undefined;
    return { kind: 'token', name: 'token' };
  }

  private async checkBasic(encoded: string): Promise<AdminIdentity | undefined> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const verify = this.options.verifyAdmin;
    if (!verify || !this.users.has(user)) return undefined;
    return (await verify(user, password)) ? { kind: 'user', name: user } : undefined;
  }
}
