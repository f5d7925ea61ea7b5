import { isIP } from 'node:net';

/**
 * What a bridge is configured with: mosquitto.conf(5)'s `connection` block, resolved. The
 * config module reads it (its option table derives its own type, which must fit this one);
 * `startServer({ bridges })` takes it.
 */

/** Which way a bridged topic travels: `out` to the remote broker, `in` from it, or `both`. */
export type BridgeDirection = 'out' | 'in' | 'both';

/**
 * One `topic` line of a bridge (`topic PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]`),
 * as mosquitto.conf(5) reads it. Outgoing: midge subscribes locally to `localPrefix + pattern`
 * and publishes to the remote with `localPrefix` replaced by `remotePrefix`; incoming the other
 * way round. An empty pattern (mosquitto's `""`) bridges the single topic the prefixes name.
 */
export interface BridgeTopic {
  /** The topic filter as written; '' for `""`. */
  pattern: string;
  direction: BridgeDirection;
  /** QoS of the subscriptions on both sides. Default 0. */
  qos: 0 | 1 | 2;
  /** '' when none (or `""`). */
  localPrefix: string;
  /** '' when none (or `""`). */
  remotePrefix: string;
}

/** How long a bridge waits before connecting again (`restart_timeout`). */
export type BridgeRestart =
  /** `restart_timeout SECONDS`: the same wait every time. */
  | { kind: 'constant'; seconds: number }
  /** `restart_timeout BASE CAP` (default 5 30): mosquitto's decorrelated jitter between base and cap. */
  | { kind: 'backoff'; baseSeconds: number; capSeconds: number };

/** A remote broker's address: `host[:port]` as written, or a URL (midge's addition: `wss://host/path`). */
export interface BridgeAddress {
  /** `mqtt:`, `mqtts:`, `ws:` or `wss:`; undefined (`host:port` not yet resolved) is dialled as `mqtt:`. */
  scheme: 'mqtt:' | 'mqtts:' | 'ws:' | 'wss:' | undefined;
  host: string;
  port: number;
  /** WebSocket URLs: the path (and query), e.g. `/mqtt`; '' otherwise. */
  path: string;
}

/** An address as a URL (`mqtts://[::1]:8883`): how it is dialled, shown and written back. */
export function addressUrl(address: BridgeAddress): string {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `${address.scheme ?? 'mqtt:'}//${host}:${address.port}${address.path}`;
}

/** TLS towards the remote broker (`bridge_cafile` or `bridge_capath`, or a `mqtts://`/`wss://` address). */
export interface BridgeTls {
  cafile: string | undefined;
  capath: string | undefined;
  /** Client certificate for remotes that require one (`bridge_certfile`, `bridge_keyfile`). */
  certfile: string | undefined;
  keyfile: string | undefined;
  /** `bridge_insecure`: do not check the remote certificate's host name. Default false. */
  insecure: boolean;
  /** `bridge_tls_version`: the lowest version spoken, `tlsv1.1`, `tlsv1.2` or `tlsv1.3`; undefined: TLS 1.2. */
  version: string | undefined;
  /** `bridge_alpn`: the ALPN protocol to ask for. */
  alpn: string | undefined;
}

/** One bridge (`connection NAME` and the options after it): a link to another broker. */
export interface BridgeConfig {
  /** The connection name, unique in the configuration. */
  name: string;
  /** Remote brokers to dial, in order (a `host:port` is `mqtts:` when a CA is configured). Several addresses fail over. */
  addresses: BridgeAddress[];
  /** `round_robin`: false (default) keeps going back to the first address; true stays on the one that works. */
  roundRobin: boolean;
  topics: BridgeTopic[];
  /** `bridge_protocol_version`: 3 (mqttv31), 4 (mqttv311, default) or 5 (mqttv50). */
  protocolVersion: 3 | 4 | 5;
  /** `cleansession`: the remote session ends with the connection. Default false. */
  cleanSession: boolean;
  /** `local_cleansession`: the local queue is dropped when the bridge restarts. Default: `cleansession`. */
  localCleanSession: boolean;
  /** `keepalive_interval`, seconds (5 at least). Default 60. */
  keepAlive: number;
  /** `remote_clientid`. Default `HOSTNAME.NAME` as mosquitto (in a cluster: `NAME`, the same on every node). */
  remoteClientId: string;
  /** `local_clientid`: the local session's id, which no client may take. Default `local.REMOTE_CLIENTID`. */
  localClientId: string;
  remoteUsername: string | undefined;
  /** A secret: redacted by `formatConfig`. */
  remotePassword: string | undefined;
  /** Undefined: plain TCP (or plain WebSocket). */
  tls: BridgeTls | undefined;
  /** `bridge_bind_address`: local address of the outgoing socket. */
  bindAddress: string | undefined;
  /** `notifications`: publish the connection state (1/0, retained). Default true. */
  notifications: boolean;
  /** `notification_topic`. Default `$SYS/broker/connection/REMOTE_CLIENTID/state`. */
  notificationTopic: string;
  /** `notifications_local_only`: do not publish the state (nor the will) on the remote. Default false. */
  notificationsLocalOnly: boolean;
  restart: BridgeRestart;
  /** `start_type`: `automatic` (default), `lazy` (when `threshold` messages wait) or `once`. */
  startType: 'automatic' | 'lazy' | 'once';
  /** `idle_timeout`, seconds a lazy bridge stays connected without traffic. Default 60. */
  idleTimeout: number;
  /** `threshold`: queued messages that start a lazy bridge. Default 10. */
  threshold: number;
  /** `try_private`: tell the remote this is a bridge (protocol level bit 0x80). Default true. */
  tryPrivate: boolean;
  /** `bridge_outgoing_retain`: keep the RETAIN flag on outgoing messages. Default true. */
  outgoingRetain: boolean;
  /** `bridge_max_packet_size`: largest packet sent to the remote; Infinity: no limit of our own. */
  maxPacketSize: number;
  /** `bridge_attempt_unsubscribe`: unsubscribe on the remote from `out` topics at connect. Default true. */
  attemptUnsubscribe: boolean;
}
