import { createServer, type TLSSocket } from 'node:tls';
import { handshakeLimits, type Broker } from '../broker/index.js';
import { bind, limitConnections, socketInfo, type BoundListener } from './tcp.js';
import { peerCertificate, readTlsContext, type TlsFiles } from './tls-context.js';
import type { ListenerCommon } from './listener.js';
import { reportTlsFailures } from './tls-failures.js';

/** A listener whose secure context can be replaced (certificate reload). */
export interface ReloadableListener extends BoundListener {
  /** Re-reads the certificate files; throws (keeping the old ones) if they are unusable. */
  reloadTls(): void;
}

/** Binds an MQTT-over-TLS listener (mqtts, usually 8883; 8884 with required client certificates). */
export function listenTls(broker: Broker, options: ListenerCommon & { tls: TlsFiles }): Promise<ReloadableListener> {
  const server = createServer({ ...readTlsContext(options.tls), handshakeTimeout: handshakeLimits(broker.options.limits).handshakeTimeout }, (socket: TLSSocket) => {
    socket.setNoDelay(true);
    const info = socketInfo(socket, options.name, 'tls', true, options.confidential);
    info.certificate = peerCertificate(socket);
    info.security = options.security;
    broker.accept(socket, info);
  });
  // A failed handshake is the client's problem: it never reaches a session or crashes us, but it is counted and logged.
  reportTlsFailures(server, broker, () => options.name);
  limitConnections(server, broker, options);
  return bind(server, options.port, options.host, options.name, 'mqtts').then((bound) => ({
    ...bound,
    reloadTls() {
      server.setSecureContext(readTlsContext(options.tls));
    },
  }));
}
