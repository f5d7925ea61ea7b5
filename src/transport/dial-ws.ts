/**
 * MQTT over WebSocket for {@link dial}: binary frames, subprotocol `mqtt`
 * (MQTT 5.0 section 6), one Duplex of raw MQTT bytes on top.
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DialOptions, DialTarget } from './dial.js';
import { wsModule } from './ws-module.js';

/** Path used when the URL names none: the path most brokers serve MQTT on. */
const DEFAULT_WS_PATH = '/mqtt';

/**
 * The address to upgrade: the URL without user info, with `/mqtt` (or
 * `options.wsPath`) when the URL has no path of its own.
 */
export function webSocketAddress(url: URL, target: DialTarget, wsPath?: string): string {
  const scheme = target.tls ? 'wss' : 'ws';
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const hasOwnPath = url.pathname !== '/' && url.pathname !== '';
  const path = hasOwnPath ? url.pathname : (wsPath ?? DEFAULT_WS_PATH);
  return `${scheme}://${host}:${target.port}${path}${url.search}`;
}

/** Opens the WebSocket and resolves with its byte stream once the upgrade succeeds. */
export function openWebSocket(url: URL, target: DialTarget, options: DialOptions, timeoutMs: number): Promise<Duplex> {
  const address = webSocketAddress(url, target, options.wsPath);
  const { WebSocket, createWebSocketStream } = wsModule();
  const socket = new WebSocket(address, options.wsProtocol ?? 'mqtt', {
    ...options.tls,
    headers: options.wsHeaders,
    localAddress: options.localAddress,
    handshakeTimeout: timeoutMs,
    // Servers answer PINGREQ; WebSocket-level compression buys nothing for MQTT.
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      socket.removeAllListeners('open');
      // Terminating a handshake in progress emits one more error; nobody needs it.
      socket.on('error', () => undefined);
      socket.terminate();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('unexpected-response', (_req, res) => {
      fail(new Error(`WebSocket upgrade to ${address} refused: HTTP ${res.statusCode ?? '?'}`));
    });
    socket.once('open', () => {
      socket.removeListener('error', fail);
      socket.removeAllListeners('unexpected-response');
      resolve(createWebSocketStream(socket));
    });
  });
}
