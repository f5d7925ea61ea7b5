import type { Authenticator, Authorizer, ListenerSecurity, Logger } from '../broker/index.js';
import {
  AclFileAuthorizer, AnonymousPolicyAuthenticator, CertificateIdentityAuthenticator, PasswordFileAuthenticator,
  type CertificateIdentity,
} from '../auth/index.js';
import type { ListenerConfig, SecuritySettings, TlsSettings } from '../config/index.js';

/** Something that re-reads its files on SIGHUP, keeping the old state when that fails. */
interface Reloadable {
  readonly name: string;
  reload(): Promise<void>;
}

/**
 * Builds the authenticator and authorizer chains of each listener from its
 * security settings, sharing one adapter per distinct file and setting so a
 * reload reads each file once.
 */
export class SecurityRegistry {
  private readonly authenticators = new Map<string, Promise<Authenticator>>();
  private readonly authorizers = new Map<string, Promise<Authorizer>>();
  private readonly reloadables: Array<{ what: string; item: Reloadable }> = [];

  /** The chains for one listener. */
  async forListener(listener: ListenerConfig): Promise<ListenerSecurity> {
    return this.forSettings(listener.security, listener.tls);
  }

  /** The chains for a set of security settings (and the listener's certificate identity, if any). */
  async forSettings(security: SecuritySettings, tls: TlsSettings | undefined): Promise<ListenerSecurity> {
    const identity: CertificateIdentity | undefined = tls?.useIdentityAsUsername ? 'common-name'
      : tls?.useSubjectAsUsername ? 'subject' : undefined;
    const authenticator = await this.authenticator(security, identity);
    const authorizers = security.aclFile ? [await this.aclAuthorizer(security.aclFile)] : [];
    return { authenticators: [authenticator], authorizers };
  }

  private authenticator(security: SecuritySettings, identity: CertificateIdentity | undefined): Promise<Authenticator> {
    const key = JSON.stringify([security.passwordFile ?? null, security.allowAnonymous, identity ?? null]);
    let made = this.authenticators.get(key);
    if (!made) {
      made = this.makeAuthenticator(security, identity);
      this.authenticators.set(key, made);
    }
    return made;
  }

  private async makeAuthenticator(security: SecuritySettings, identity: CertificateIdentity | undefined): Promise<Authenticator> {
    if (security.passwordFile) {
      const auth = await PasswordFileAuthenticator.open({
        path: security.passwordFile, allowAnonymous: security.allowAnonymous, certificateIdentity: identity,
      });
      this.reloadables.push({ what: `password file ${security.passwordFile}`, item: auth });
      return auth;
    }
    if (identity) return new CertificateIdentityAuthenticator(identity);
    return new AnonymousPolicyAuthenticator(security.allowAnonymous);
  }

  private aclAuthorizer(path: string): Promise<Authorizer> {
    let made = this.authorizers.get(path);
    if (!made) {
      made = AclFileAuthorizer.open({ path }).then((acl) => {
        this.reloadables.push({ what: `ACL file ${path}`, item: acl });
        return acl;
      });
      this.authorizers.set(path, made);
    }
    return made;
  }

  /** Adds something else to reload on SIGHUP (e.g. the SCRAM users). */
  addReloadable(what: string, item: Reloadable): void {
    this.reloadables.push({ what, item });
  }

  /**
   * Re-reads every file. One that fails keeps its old contents (never falls back to
   * open) and is reported; the others still reload. Returns what failed.
   */
  async reload(logger: Logger): Promise<string[]> {
    const failed: string[] = [];
    for (const { what, item } of this.reloadables) {
      try {
        await item.reload();
        logger.info({ file: what }, 'reloaded');
      } catch (err) {
        failed.push(what);
        logger.error({ file: what, err: err instanceof Error ? err.message : String(err) }, 'reload failed; keeping the previous settings');
      }
    }
    return failed;
  }
}
