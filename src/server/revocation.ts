import type { ConnectionRevocationCheck, Logger } from '../broker/index.js';
import { readRevokedCertificates } from '../transport/index.js';
import type { ListenerConfig } from '../config/index.js';
import type { ServerListener } from './server.js';

/**
 * The check a reload adds for connections made before it: a client certificate the
 * listener's new CRL revokes loses its connection (OpenSSL applies the CRL to new
 * handshakes only). `running` are the server's listeners with the configuration each
 * runs with. A CRL that cannot be read is reported in `failed` and revokes nothing more.
 */
export function certificateRevocations(
  running: Iterable<readonly [ListenerConfig, ServerListener]>, logger: Logger, failed: string[],
): ConnectionRevocationCheck | undefined {
  const revokedOn = new Map<string, ReadonlySet<string>>();
  for (const [config, listener] of running) {
    const crlfile = config.tls?.crlfile;
    if (!crlfile) continue;
    try {
      revokedOn.set(listener.name, readRevokedCertificates(crlfile));
    } catch (err) {
      failed.push(`CRL of ${listener.name}`);
      logger.error({ listener: listener.name, err: err instanceof Error ? err.message : String(err) }, 'CRL could not be read; open connections were not checked against it');
    }
  }
  if (revokedOn.size === 0) return undefined;
  return (info) => {
    const id = info.certificate?.revocationId;
    return id !== undefined && revokedOn.get(info.listener)?.has(id) ? 'the client certificate was revoked by the CRL' : undefined;
  };
}
