import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { Broker } from '../broker/index.js';
import type { ListenerCommon } from './listener.js';
import { bind, type BoundListener } from './tcp.js';
import { peerCertificate, readTlsContext, type TlsFiles } from './tls-context.js';
import type { ReloadableListener } from './tls.js';
import type { TLSSocket } from 'node:tls';

/** Settings of a WebSocket listener. */
export interface WsListenerOptions extends ListenerCommon {
  /** Accept upgrades on this path only; undefined: any path. */
  path: string | undefined;
  /** Largest WebSocket message accepted: the broker's maximum packet size. */
  maxPayload: number;
  /** Present for wss. */
  tls: TlsFiles | undefined;
}

/** Subprotocols MQTT clients ask for: `mqtt` (3.1.1 and 5) and `mqttv3.1` (3.1). */
const SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

/**
 * Binds an MQTT-over-WebSocket listener (ws, usually 8080; wss, 8081). Each
 * WebSocket becomes a byte stream for the broker; MQTT packets may span or share
 * WebSocket messages, which the broker's framer handles.
 */
export function listenWebSocket(broker: Broker, options: WsListenerOptions): Promise<ReloadableListener> {
  const secure = options.tls !== undefined;
  const server = secure ? createHttpsServer({ ...readTlsContext(options.tls!) }) : createHttpServer();
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('this endpoint speaks MQTT over WebSocket\n');
  });
  if (secure) server.on('tlsClientError', () => {});
  const wss = new WebSocketServer({
    server,
    maxPayload: options.maxPayload,
    perMessageDeflate: false,
    handleProtocols: (protocols) => SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
    verifyClient: ({ req }: { req: IncomingMessage }) => {
      if (options.path !== undefined && (req.url ?? '/').split('?')[0] !== options.path) return false;
      return options.maxConnections <= 0 || wss.clients.size < options.maxConnections;
    },
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => acceptWebSocket(broker, options, ws, req));
  wss.on('error', () => {});
  return bind(server, options.port, options.host, options.name, secure ? 'wss' : 'ws').then((bound: BoundListener) => ({
    ...bound,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await bound.close();
    },
    reloadTls() {
      if (secure) (server as ReturnType<typeof createHttpsServer>).setSecureContext(readTlsContext(options.tls!));
    },
  }));
}

function acceptWebSocket(broker: Broker, options: WsListenerOptions, ws: WebSocket, req: IncomingMessage): void {
  const socket = req.socket as Socket;
  socket.setNoDelay(true);
  // MQTT travels in binary frames only: a text frame closes the connection before any of
  // it reaches the broker [MQTT-6.0.0-1]. Registered first, so it runs before the stream's listener.
  ws.on('message', (_data, isBinary) => {
    if (isBinary) return;
    stream.destroy();
    ws.close(1003, 'MQTT needs binary frames');
  });
  const stream = createWebSocketStream(ws);
  // The stream errors when the peer misbehaves at the WebSocket level; the broker sees a close.
  stream.on('error', () => {});
  const secure = options.tls !== undefined;
  broker.accept(stream, {
    listener: options.name,
    transport: secure ? 'wss' : 'ws',
    remoteAddress: socket.remoteAddress ?? 'unknown',
    remotePort: socket.remotePort,
    encrypted: secure,
    confidential: options.confidential,
    certificate: secure ? peerCertificate(socket as TLSSocket) : undefined,
    security: options.security,
  });
}
