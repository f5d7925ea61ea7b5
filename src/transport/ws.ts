import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { handshakeLimits, type Broker } from '../broker/index.js';
import type { ListenerCommon } from './listener.js';
import { bind, limitConnections, type BoundListener } from './tcp.js';
import { peerCertificate, readTlsContext, type TlsFiles } from './tls-context.js';
import type { ReloadableListener } from './tls.js';
import { reportTlsFailures } from './tls-failures.js';
import { wsModule } from './ws-module.js';
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
  // The upgrade is bounded; a WebSocket is out of the HTTP server's hands once upgraded.
  const limits = handshakeLimits(broker.options.limits);
  const server = secure ? createHttpsServer({ ...readTlsContext(options.tls!), ...limits }) : createHttpServer(limits);
  limitConnections(server, broker, options);
  const refused = (req: IncomingMessage, reason: string) => broker.connectionFailed(
    { listener: options.name, remoteAddress: req.socket.remoteAddress ?? 'unknown', remotePort: req.socket.remotePort }, 'websocket', reason);
  server.on('request', (req: IncomingMessage, res) => {
    refused(req, `an HTTP ${req.method ?? ''} request without a WebSocket upgrade (answered 426)`);
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('this endpoint speaks MQTT over WebSocket\n');
  });
  if (secure) reportTlsFailures(server, broker, () => options.name);
  const wss = new (wsModule().WebSocketServer)({
    server,
    maxPayload: options.maxPayload,
    perMessageDeflate: false,
    handleProtocols: (protocols) => SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
    verifyClient: ({ req }: { req: IncomingMessage }) => {
      const path = (req.url ?? '/').split('?')[0];
      if (options.path !== undefined && path !== options.path) {
        refused(req, `WebSocket upgrade to ${JSON.stringify(path)} refused: this listener serves ${JSON.stringify(options.path)} (websockets_path)`);
        return false;
      }
      if (options.maxConnections <= 0 || wss.clients.size < options.maxConnections) return true;
      refused(req, `the listener is full (max_connections ${options.maxConnections})`);
      return false;
    },
  });
  // A malformed upgrade request: answered as ws would, and counted.
  wss.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => {
    refused(req, `bad WebSocket upgrade request (${err.message})`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    setTimeout(() => socket.destroy(), 1000).unref();
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
  const stream = wsModule().createWebSocketStream(ws);
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
