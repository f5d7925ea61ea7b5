import type { Authenticator, Logger } from '../broker/index.js';
import type { AdminOptions, VerifyAdmin } from '../admin/index.js';
import type { ListenerConfig, MidgeConfig } from '../config/index.js';
import { readTlsContext } from '../transport/index.js';
import { tlsFiles } from './listener-spec.js';
import type { SecurityRegistry } from './security.js';

/**
 * Admin passwords checked by the listener's authenticator chain, as a CONNECT's
 * would be: no authenticator may deny and one must allow. Built only over a
 * password file: without one the chain admits by policy, not by password.
 */
function chainVerifier(authenticators: Authenticator[]): VerifyAdmin {
  return async (user, password) => {
    let allowed = false;
    for (const a of authenticators) {
      const result = await a.authenticate({
        clientId: '', username: user, password: Buffer.from(password, 'utf8'), protocolVersion: 5, listener: 'admin', remoteAddress: '',
      });
      if (result.outcome === 'deny') return false;
      if (result.outcome === 'allow') allowed = true;
    }
    return allowed;
  };
}

async function verifierFor(listener: ListenerConfig, security: SecurityRegistry): Promise<VerifyAdmin | undefined> {
  if (!listener.security.passwordFile) return undefined;
  // The registry shares (and reloads on SIGHUP) one authenticator per password file.
  const chain = await security.forSettings(listener.security, undefined);
  return chainVerifier(chain.authenticators);
}

/** The admin listener's certificate and key, checked as any TLS listener's are (a bad file is named). */
function adminIdentity(listener: ListenerConfig): { cert: Buffer; key: Buffer } {
  try {
    const context = readTlsContext(tlsFiles(listener)!);
    return { cert: context.cert as Buffer, key: context.key as Buffer };
  } catch (err) {
    throw new Error(`listener https:${listener.port}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The admin listener a configuration asks for: its first `protocol http` listener,
 * with the admin users (checked against that listener's password file) and token.
 * An address left out binds every interface, as for any listener; certfile and
 * keyfile make it HTTPS.
 */
export async function adminFromConfig(config: MidgeConfig, security: SecurityRegistry, logger: Logger): Promise<AdminOptions | undefined> {
  const http = config.listeners.filter((l) => l.protocol === 'http');
  const listener = http[0];
  if (!listener) return undefined;
  if (http.length > 1) logger.warn({ ignored: http.slice(1).map((l) => l.port) }, 'only the first http listener serves the admin API');
  const tls = listener.tls;
  return {
    port: listener.port,
    host: listener.address ?? '*',
    adminUsers: config.auth.adminUsers,
    adminToken: config.auth.adminToken,
    verifyAdmin: await verifierFor(listener, security),
    tls: tls ? adminIdentity(listener) : undefined,
  };
}
