import type { Broker } from '../broker/index.js';

/**
 * Ms a new connection has to finish its TLS handshake, or its HTTP upgrade request:
 * the broker's connect timeout, which then also bounds the wait for CONNECT. A socket
 * that never says anything (no ClientHello, no request) is closed after it, so silent
 * sockets cannot hold the process's file descriptors (Node's own default is 120 s for
 * TLS, 60 s for HTTP headers).
 */
export function handshakeTimeoutMs(broker: Broker): number {
  return broker.options.limits.connectTimeout * 1000;
}

/**
 * Options for `http(s).createServer` that bound the request phase by `timeoutMs`;
 * checked often enough that a short timeout is kept. A WebSocket is out of the HTTP
 * server's hands once upgraded, so this bounds only the upgrade.
 */
export function httpHandshakeOptions(timeoutMs: number): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(timeoutMs / 4))),
  };
}
