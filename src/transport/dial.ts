/**
 * Client side of the transports: opens a byte stream to an MQTT server for a URL.
 * `mqtt:`/`tcp:` is plain TCP, `mqtts:`/`ssl:`/`tls:` is TLS, `ws:`/`wss:` is MQTT
 * over WebSocket (subprotocol `mqtt`, binary frames). The result is always a Duplex
 * of raw MQTT bytes, so the client above never knows which one it got.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { openWebSocket } from './dial-ws.js';

/** TLS settings for `mqtts:` and `wss:`; the usual `node:tls` meanings. */
export type DialTlsOptions = Pick<
  ConnectionOptions,
  | 'ca' | 'cert' | 'key' | 'passphrase' | 'pfx' | 'rejectUnauthorized' | 'servername'
  | 'checkServerIdentity' | 'ciphers' | 'minVersion' | 'maxVersion' | 'ALPNProtocols'
>;

/** How to open the stream. */
export interface DialOptions {
  /** TLS settings, used when the URL asks for TLS. */
  tls?: DialTlsOptions;
  /** Give up when the connection (and TLS or WebSocket handshake) takes longer; default 30 s. */
  timeoutMs?: number;
  /** Local address to bind the outgoing socket to. */
  localAddress?: string;
  /** WebSocket only: HTTP path, when the URL has none; default `/mqtt`. */
  wsPath?: string;
  /** WebSocket only: extra request headers. */
  wsHeaders?: Record<string, string>;
  /** WebSocket only: subprotocol to ask for; default `mqtt` (MQTT 5.0 section 6). */
  wsProtocol?: string;
}

/** What a URL scheme means. */
export interface DialTarget {
  kind: 'tcp' | 'ws';
  tls: boolean;
  host: string;
  port: number;
}

const schemes: Readonly<Record<string, { kind: 'tcp' | 'ws'; tls: boolean; port: number }>> = {
  'mqtt:': { kind: 'tcp', tls: false, port: 1883 },
  'tcp:': { kind: 'tcp', tls: false, port: 1883 },
  'mqtts:': { kind: 'tcp', tls: true, port: 8883 },
  'ssl:': { kind: 'tcp', tls: true, port: 8883 },
  'tls:': { kind: 'tcp', tls: true, port: 8883 },
  'ws:': { kind: 'ws', tls: false, port: 80 },
  'wss:': { kind: 'ws', tls: true, port: 443 },
};

/** The URL schemes {@link dial} understands, with the colon (`mqtt:`, `wss:`, ...). */
export const dialSchemes: readonly string[] = Object.keys(schemes);

/**
 * Reads host, port and transport from a URL. Throws a TypeError for a scheme it
 * does not know. IPv6 literals lose their brackets (`[::1]` is dialled as `::1`).
 */
export function parseDialTarget(url: URL): DialTarget {
  const scheme = schemes[url.protocol];
  if (!scheme) throw new TypeError(`unsupported URL scheme '${url.protocol}' (use one of ${dialSchemes.join(' ')})`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = url.port === '' ? scheme.port : Number(url.port);
  return { kind: scheme.kind, tls: scheme.tls, host, port };
}

/**
 * Opens a stream to the server named by `url` and resolves once it is ready to
 * carry MQTT bytes (TCP connected, TLS handshake done, WebSocket upgraded).
 */
export async function dial(url: string | URL, options: DialOptions = {}): Promise<Duplex> {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const target = parseDialTarget(parsed);
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (target.kind === 'ws') return openWebSocket(parsed, target, options, timeoutMs);
  return target.tls ? openTls(target, options, timeoutMs) : openTcp(target, options, timeoutMs);
}

function openTcp(target: DialTarget, options: DialOptions, timeoutMs: number): Promise<Socket> {
  const socket = netConnect({ host: target.host, port: target.port, localAddress: options.localAddress });
  return whenReady(socket, 'connect', target, timeoutMs);
}

function openTls(target: DialTarget, options: DialOptions, timeoutMs: number): Promise<TLSSocket> {
  // tls.connect hands socket options such as localAddress on to net; its typings omit them.
  const tlsOptions: ConnectionOptions & { localAddress?: string } = {
    host: target.host,
    port: target.port,
    localAddress: options.localAddress,
    // SNI may not carry an IP address (RFC 6066 section 3); the certificate is still
    // checked against it by checkServerIdentity.
    servername: options.tls?.servername ?? (isIP(target.host) ? undefined : target.host),
    ...withoutServername(options.tls),
  };
  const socket = tlsConnect(tlsOptions);
  return whenReady(socket, 'secureConnect', target, timeoutMs);
}

function withoutServername(tls: DialTlsOptions | undefined): DialTlsOptions {
  if (!tls) return {};
  const { servername: _ignored, ...rest } = tls;
  return rest;
}

/** Resolves with the socket once `readyEvent` fires; destroys it on error or timeout. */
function whenReady<S extends Socket>(socket: S, readyEvent: string, target: DialTarget, timeoutMs: number): Promise<S> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(new Error(`connecting to ${target.host}:${target.port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.removeListener(readyEvent, ready);
      socket.destroy();
      reject(err);
    };
    const ready = (): void => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      // MQTT packets are small and latency matters more than segment count.
      socket.setNoDelay(true);
      resolve(socket);
    };
    socket.once('error', fail);
    socket.once(readyEvent, ready);
  });
}
