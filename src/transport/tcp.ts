import { createServer, type Server, type Socket } from 'node:net';
import type { Broker, ConnectionInfo } from '../broker/index.js';
import type { ListenerCommon } from './listener.js';

/** Settings of a plain TCP MQTT listener. */
export type TcpListenerOptions = ListenerCommon;

/** A listener that is bound and accepting. */
export interface BoundListener {
  readonly name: string;
  readonly protocol: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/** Binds a plain TCP listener that hands each connection to the broker. */
export function listenTcp(broker: Broker, options: TcpListenerOptions): Promise<BoundListener> {
  const server = createServer({ noDelay: true }, (socket) => {
    const info = socketInfo(socket, options.name, 'tcp', false, options.confidential);
    info.security = options.security;
    broker.accept(socket, info);
  });
  limitConnections(server, broker, options);
  return bind(server, options.port, options.host, options.name, 'mqtt');
}

/**
 * A listener's `max_connections`: sockets past it are closed by the system at once, and
 * counted and logged here. It bounds every socket, handshakes and upgrades included, so
 * a flood of silent sockets cannot take the descriptors other listeners need.
 */
export function limitConnections(server: Server, broker: Broker, options: Pick<ListenerCommon, 'maxConnections' | 'name'>): void {
  if (options.maxConnections <= 0 || options.maxConnections === Infinity) return;
  server.maxConnections = options.maxConnections;
  server.on('drop', (dropped?: { remoteAddress?: string; remotePort?: number }) => {
    broker.connectionFailed({ listener: options.name, remoteAddress: dropped?.remoteAddress ?? 'unknown', remotePort: dropped?.remotePort },
      'limit', `the listener is full (max_connections ${options.maxConnections})`);
  });
}

/** Facts about a plain or TLS socket for the broker. */
export function socketInfo(socket: Socket, listener: string, transport: ConnectionInfo['transport'], encrypted: boolean, confidential: boolean): ConnectionInfo {
  return {
    listener,
    transport,
    remoteAddress: socket.remoteAddress ?? 'unknown',
    remotePort: socket.remotePort,
    encrypted,
    confidential,
    certificate: undefined,
    security: undefined,
  };
}

/** Listens and resolves with the bound address; rejects with a clear message (e.g. port in use). */
export function bind(server: Server, port: number, host: string | undefined, name: string, protocol: string): Promise<BoundListener> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(Object.assign(new Error(`listener ${name}: cannot listen on ${host ?? '*'}:${port}: ${err.code ?? err.message}`), { code: err.code }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : port;
      const boundHost = typeof addr === 'object' && addr ? addr.address : (host ?? '');
      resolve({
        name, protocol, port: boundPort, host: boundHost,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
