import { ReasonCode } from '../protocol/index.js';
import { MqttConnection } from './mqtt-connection.js';
import type { BrokerOptions } from './options.js';
import type { ClientEndpoint } from './ports/client-endpoint.js';
import type { Logger } from './ports/logger.js';
import type { ConnectionInfo } from './ports/transport.js';
import type { BrokerStats } from './stats.js';

/**
 * A check the composition adds after a reload, on what a transport knows of a
 * connection (e.g. its certificate against a new CRL): why the client lost access,
 * or undefined.
 */
export type ConnectionRevocationCheck = (info: ConnectionInfo) => string | undefined;

/** What a revocation check uses of the broker: the authenticators, the log and the counter. */
export interface RevocationHost {
  readonly options: Pick<BrokerOptions, 'authenticators' | 'enhancedAuthenticators'>;
  readonly logger: Logger;
  readonly stats: Pick<BrokerStats, 'revokedClients'>;
}

/**
 * Why a connected client's admission no longer holds after a reload, or undefined:
 * the transport's check first (a revoked certificate), then the enhanced
 * authentication method it used, or else every authenticator of its chain.
 */
function revocationOf(broker: RevocationHost, client: MqttConnection | ClientEndpoint, transport: ConnectionRevocationCheck | undefined): string | undefined {
  const byTransport = transport?.(client.info);
  if (byTransport) return byTransport;
  const { principal, info } = client;
  const method = 'authMethod' in client ? client.authMethod : undefined;
  if (method !== undefined) {
    return broker.options.enhancedAuthenticators.find((a) => a.method === method)?.revoked?.(principal.username);
  }
  const admitted = {
    clientId: principal.clientId, username: principal.username, protocolVersion: client.protocolVersion,
    listener: info.listener, remoteAddress: info.remoteAddress, certificate: info.certificate,
  };
  const chain = info.security?.authenticators ?? broker.options.authenticators;
  for (const authenticator of chain) {
    const reason = authenticator.revoked?.(admitted);
    if (reason) return reason;
  }
  return undefined;
}

/**
 * After password, SCRAM, ACL or certificate files were reloaded: every connected
 * client whose admission no longer holds is disconnected (v5: DISCONNECT 0x87 Not
 * authorized with the reason as Reason String), with one log line each. What the
 * others may read is decided afresh for every message from now on (the authorizers
 * reloaded, and a session checks each queued message when it sends it). Returns
 * how many were disconnected.
 */
export function disconnectRevoked(
  broker: RevocationHost, clients: Iterable<MqttConnection | ClientEndpoint>, transport?: ConnectionRevocationCheck,
): number {
  let count = 0;
  for (const client of clients) {
    // Connected clients only: a CONNECT still being decided meets the new files itself.
    if (!client.session || (client instanceof MqttConnection && client.state !== 'open')) continue;
    const reason = revocationOf(broker, client, transport);
    if (!reason) continue;
    count++;
    broker.logger.warn({
      clientId: client.clientId, username: client.principal.username, listener: client.info.listener,
      remoteAddress: client.info.remoteAddress, reasonCode: ReasonCode.NotAuthorized, reason,
    }, 'client disconnected: it lost access when the security files were reloaded');
    client.close(ReasonCode.NotAuthorized, reason);
  }
  broker.stats.revokedClients += count;
  return count;
}
