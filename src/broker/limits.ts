import type { BrokerLimits } from './options.js';

/**
 * True when a topic name or filter has more levels than the broker allows
 * (`max_topic_levels`): a PUBLISH, a will, a SUBSCRIBE, an MQTT-SN or admin publish alike.
 * Counts separators without splitting, since a PUBLISH's topic is checked on the hot path.
 */
export function exceedsTopicLevels(topic: string, limits: Pick<BrokerLimits, 'maxTopicLevels'>): boolean {
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47 /* '/' */) levels++;
  return levels > limits.maxTopicLevels;
}

/** Timeouts of a server's handshakes; see {@link handshakeLimits}. */
export interface HandshakeLimits {
  /** Ms to finish a TLS handshake (`tls.createServer`). */
  handshakeTimeout: number;
  /** Ms to send an HTTP request's headers, and all of it (`http.createServer`). */
  headersTimeout: number;
  requestTimeout: number;
  /** How often Node checks the two above. */
  connectionsCheckingInterval: number;
}

/**
 * How long a new connection of a TLS, WSS or HTTP(S) server (MQTT listeners and the
 * admin listener alike) has to finish its TLS handshake and send its request or upgrade:
 * the connect timeout, which then also bounds the wait for CONNECT. A socket that never
 * says anything (no ClientHello, no request) is closed after it, so silent sockets cannot
 * hold the process's file descriptors (Node's own defaults are 120 s for TLS, 60 s for
 * HTTP headers). Checked often enough that a short timeout is kept.
 */
export function handshakeLimits(limits: Pick<BrokerLimits, 'connectTimeout'>): HandshakeLimits {
  const ms = limits.connectTimeout * 1000;
  return { handshakeTimeout: ms, headersTimeout: ms, requestTimeout: ms, connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(ms / 4))) };
}
