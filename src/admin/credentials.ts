import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedAdminOptions } from './options.js';

/** Who made an authorized admin request, for the audit log. */
export interface AdminIdentity {
  kind: 'user' | 'token';
  /** The user name, or `token`. */
  name: string;
}

/**
 * What a request's credentials prove: an admin; a user whose password is right but
 * who is not one of `admin_user` (told so: the password proved who is asking); or
 * nothing (a wrong password, token or scheme learns nothing more).
 */
export type CredentialCheck =
  | { outcome: 'admin'; identity: AdminIdentity }
  | { outcome: 'not-admin'; user: string }
  | { outcome: 'refused' };

const REFUSED: CredentialCheck = { outcome: 'refused' };

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Decides admin requests from their `Authorization` header: HTTP Basic for the
 * users named in `adminUsers` (checked by the injected `verifyAdmin`, i.e. the
 * password file), or `Bearer <adminToken>`. Nothing configured: nobody is admitted.
 *
 * The API takes credentials from that header only, never from cookies; a browser that
 * holds Basic credentials for the listener still sends them with another site's form,
 * which is why state-changing requests must also come from the same origin (`csrf.ts`).
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

  /** What the header proves. */
  async check(header: string | undefined): Promise<CredentialCheck> {
    if (!header) return REFUSED;
    const space = header.indexOf(' ');
    if (space < 0) return REFUSED;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return this.checkToken(value);
    if (scheme === 'basic') return this.checkBasic(value);
    return REFUSED;
  }

  private checkToken(token: string): CredentialCheck {
    if (!this.tokenDigest || !timingSafeEqual(digest(token), this.tokenDigest)) return REFUSED;
    return { outcome: 'admin', identity: { kind: 'token', name: 'token' } };
  }

  private async checkBasic(encoded: string): Promise<CredentialCheck> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return REFUSED;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const verify = this.options.verifyAdmin;
    if (!verify) return REFUSED;
    // Every name costs one password check, admin or not, so that how long a refusal takes
    // tells nobody which names are admins; only the right password learns it.
    if (!(await verify(user, password))) return REFUSED;
    return this.users.has(user) ? { outcome: 'admin', identity: { kind: 'user', name: user } } : { outcome: 'not-admin', user };
  }
}
