import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { WebSocket, createWebSocketStream } from 'ws';
import type { BenchTls, BenchTransport } from './options.js';

/** Where a load connection goes and over what. */
export interface StreamTarget {
  host: string;
  port: number;
  transport: BenchTransport;
  tls: BenchTls;
}

/** What a load connection hears from its byte stream. */
export interface StreamHooks {
  /** TCP connected, TLS handshake done, or WebSocket upgraded: MQTT may start. */
  onOpen(): void;
  /** Bytes arrived; `chunk` is only valid during the call (TCP reads into a reused buffer). */
  onData(chunk: Buffer): void;
  /** TCP only: the buffer the next read lands in. */
  readBuffer(): Buffer;
}

/** PEM files are read once per thread, not once per connection. */
const files = new Map<string, Buffer>();

function pem(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  let bytes = files.get(path);
  if (!bytes) {
    bytes = readFileSync(path);
    files.set(path, bytes);
  }
  return bytes;
}

/** node:tls options for the bench's TLS settings; without a CA the server is not verified (a benchmark, not a client). */
export function tlsOptions(target: StreamTarget): ConnectionOptions {
  const { tls } = target;
  const ca = pem(tls.caFile);
  return {
    host: target.host,
    port: target.port,
    ca,
    cert: pem(tls.certFile),
    key: pem(tls.keyFile),
    rejectUnauthorized: ca !== undefined,
    minVersion: tls.version,
    maxVersion: tls.version,
  };
}

/**
 * Opens the byte stream of one load connection. Plain TCP reads with `onread`
 * into a buffer of the caller's (no stream machinery, no Buffer per read); TLS
 * and WebSocket streams deliver 'data' chunks, which cost what they cost every
 * client of those transports.
 */
export function openStream(target: StreamTarget, hooks: StreamHooks): Duplex {
  switch (target.transport) {
    case 'tcp': {
      const socket = netConnect({
        host: target.host,
        port: target.port,
        noDelay: true,
        onread: {
          buffer: () => hooks.readBuffer(),
          callback: (bytes: number, buffer: Uint8Array) => {
            hooks.onData((buffer as Buffer).subarray(0, bytes));
            return true;
          },
        },
      });
      socket.on('connect', () => hooks.onOpen());
      return socket;
    }
    case 'tls': {
      const socket = tlsConnect(tlsOptions(target));
      socket.setNoDelay(true);
      socket.on('secureConnect', () => hooks.onOpen());
      socket.on('data', (chunk: Buffer) => hooks.onData(chunk));
      return socket;
    }
    case 'ws': {
      const ws = new WebSocket(`ws://${target.host}:${target.port}/mqtt`, 'mqtt', { perMessageDeflate: false });
      const stream = createWebSocketStream(ws);
      // ws turns Nagle off on the upgraded socket itself.
      ws.once('open', () => hooks.onOpen());
      stream.on('data', (chunk: Buffer) => hooks.onData(chunk));
      return stream;
    }
  }
}
