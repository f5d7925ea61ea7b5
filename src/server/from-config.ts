import type { BrokerLimits, EnhancedAuthenticator, Logger, Store } from '../broker/index.js';
import { ScramSha256Authenticator, loadScramUsers } from '../auth/scram/index.js';
import { brokerLimitsOf, type ListenerConfig, type MidgeConfig } from '../config/index.js';
import { createStore } from '../persistence/index.js';
import type { TlsFiles } from '../transport/index.js';
import { adminFromConfig } from './admin-config.js';
import { clusterFromConfig } from './cluster-config.js';
import { SecurityRegistry } from './security.js';
import { snListenersFromConfig } from './sn-config.js';
import { startServer, type ListenerSpec, type MidgeServer, type ServerOptions } from './server.js';

/** A server started from a configuration, with what SIGHUP needs. */
export interface ConfiguredServer {
  server: MidgeServer;
  /** Re-reads password, ACL and SCRAM files and certificates; returns what failed (kept as before). */
  reload(): Promise<string[]>;
}

/** The broker limits a configuration asks for. */
export function brokerLimits(config: MidgeConfig): Partial<BrokerLimits> {
  return brokerLimitsOf(config.limits);
}

/** The TLS files of a listener: the configuration's settings less the identity ones. */
function tlsFiles(listener: ListenerConfig): TlsFiles | undefined {
  if (!listener.tls) return undefined;
  const { useIdentityAsUsername: _cn, useSubjectAsUsername: _subject, ...files } = listener.tls;
  return files;
}

/**
 * Starts midge as a configuration describes it: the store, the security chains
 * of every listener, the listeners themselves, and the reload hook for SIGHUP.
 * `store` may be given to override the configured one (tests, embedding).
 */
export async function startFromConfig(
  config: MidgeConfig, logger: Logger, store?: Store, snListeners?: ServerOptions['snListeners'],
): Promise<ConfiguredServer> {
  const security = new SecurityRegistry();
  const listeners: ListenerSpec[] = [];
  for (const l of config.listeners) {
    if (l.protocol !== 'mqtt' && l.protocol !== 'websockets') continue;
    listeners.push({
      port: l.port,
      host: l.address,
      protocol: l.protocol,
      maxConnections: l.maxConnections,
      confidential: l.confidential,
      tls: tlsFiles(l),
      websocketsPath: l.websocketsPath,
      security: await security.forListener(l),
    });
  }
  const enhancedAuthenticators: EnhancedAuthenticator[] = [];
  const scramFile = config.auth.scramUsersFile;
  if (scramFile) {
    const scram = new ScramSha256Authenticator(loadScramUsers(scramFile));
    security.addReloadable(`SCRAM users file ${scramFile}`, { name: 'scram', reload: async () => scram.setUsers(loadScramUsers(scramFile)) });
    enhancedAuthenticators.push(scram);
  }
  const global = await security.forSettings(config.auth, undefined);
  const clustered = clusterFromConfig(config, logger);
  const options: ServerOptions = {
    listeners,
    snListeners: [...snListenersFromConfig(config), ...(snListeners ?? [])],
    broker: {
      logger,
      store: clustered?.store ?? store ?? createStore({ persistence: config.persistence.enabled, location: config.persistence.location, sync: config.persistence.sync }),
      cluster: clustered?.cluster,
      limits: brokerLimits(config),
      allowZeroLengthClientId: config.auth.allowZeroLengthClientId,
      retainAvailable: config.limits.retainAvailable,
      responseInformationPrefix: config.operations.responseInformationPrefix,
      confidentialTopics: config.confidentialTopics,
      traceClients: config.operations.traceClients,
      authenticators: global.authenticators,
      authorizers: global.authorizers,
      enhancedAuthenticators,
    },
    sysInterval: config.operations.sysInterval,
    admin: await adminFromConfig(config, security, logger),
  };
  const server = await startServer(options);
  return {
    server,
    async reload() {
      const failed = await security.reload(logger);
      for (const l of server.listeners) {
        try {
          l.reloadTls();
        } catch (err) {
          failed.push(`certificates of ${l.name}`);
          logger.error({ listener: l.name, err: err instanceof Error ? err.message : String(err) }, 'certificate reload failed; keeping the previous ones');
        }
      }
      return failed;
    },
  };
}
