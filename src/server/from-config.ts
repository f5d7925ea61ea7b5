import type { BrokerLimits, EnhancedAuthenticator, Logger, Store } from '../broker/index.js';
import { ScramSha256Authenticator, loadScramUsers } from '../auth/scram/index.js';
import { brokerLimitsOf, type MidgeConfig } from '../config/index.js';
import { createStore } from '../persistence/index.js';
import { adminFromConfig } from './admin-config.js';
import { clusterFromConfig } from './cluster-config.js';
import { ListenerSet, type ReloadReport } from './listener-set.js';
import { isServedListener, listenerSpec } from './listener-spec.js';
import { logSubscriptions } from './logging-config.js';
import { certificateRevocations } from './revocation.js';
import { SecurityRegistry } from './security.js';
import { snListenersFromConfig } from './sn-config.js';
import { startServer, type ListenerSpec, type MidgeServer, type ServerOptions } from './server.js';

export type { ReloadReport };

/** A server started from a configuration, with what SIGHUP needs. */
export interface ConfiguredServer {
  server: MidgeServer;
  /**
   * Re-reads password, ACL and SCRAM files and certificates; with `next` (the file
   * read again) also opens, closes and reopens MQTT and WebSocket listeners and applies
   * `trace_clients`, and reports what else changed and needs a restart.
   */
  reload(next?: MidgeConfig): Promise<ReloadReport>;
}

/** The broker limits a configuration asks for. */
export function brokerLimits(config: MidgeConfig): Partial<BrokerLimits> {
  return brokerLimitsOf(config.limits);
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
  const served = config.listeners.filter(isServedListener);
  const listeners: ListenerSpec[] = [];
  for (const l of served) listeners.push(await listenerSpec(l, security));
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
      sessionOwner: config.auth.sessionOwner,
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
    bridges: config.bridges,
  };
  const server = await startServer(options);
  logSubscriptions(server.broker, logger);
  // startServer opens the served listeners first, in order.
  const running = new ListenerSet(server, security, logger, served.map((l, i) => [l, server.listeners[i]!]));
  let current = config;
  return {
    server,
    async reload(next) {
      const report: ReloadReport = { applied: [], failed: await security.reload(logger), restartNeeded: [] };
      if (next) {
        await running.apply(current, next, report);
        current = next;
      }
      running.reloadCertificates(report);
      const revoked = server.broker.disconnectRevoked(certificateRevocations(running.entries(), logger, report.failed));
      if (revoked > 0) logger.warn({ clients: revoked }, 'clients that lost access with the reload were disconnected');
      return report;
    },
  };
}
