import type { ListenerConfig } from '../config/index.js';
import type { TlsFiles } from '../transport/index.js';
import type { SecurityRegistry } from './security.js';
import type { ListenerSpec } from './server.js';

/** The TLS files of a listener: the configuration's settings less the identity ones. */
export function tlsFiles(listener: ListenerConfig): TlsFiles | undefined {
  if (!listener.tls) return undefined;
  const { useIdentityAsUsername: _cn, useSubjectAsUsername: _subject, ...files } = listener.tls;
  return files;
}

/** What `startServer` needs to open one configured MQTT or WebSocket listener. */
export async function listenerSpec(l: ListenerConfig, security: SecurityRegistry): Promise<ListenerSpec> {
  return {
    port: l.port,
    host: l.address,
    protocol: l.protocol === 'websockets' ? 'websockets' : 'mqtt',
    // -1 or 0 (the default, mosquitto's "no limit"): a share of the descriptor limit.
    maxConnections: l.maxConnections === Infinity ? undefined : l.maxConnections,
    confidential: l.confidential,
    tls: tlsFiles(l),
    websocketsPath: l.websocketsPath,
    security: await security.forListener(l),
  };
}

/** The listeners `startServer` opens itself: MQTT over TCP/TLS and WebSocket. */
export function isServedListener(l: ListenerConfig): boolean {
  return l.protocol === 'mqtt' || l.protocol === 'websockets';
}

