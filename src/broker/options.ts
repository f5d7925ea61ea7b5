import type { Authenticator, Authorizer, EnhancedAuthenticator } from './ports/auth.js';
import type { Logger } from './ports/logger.js';
import type { ClusterBus } from './ports/cluster.js';
import type { Store } from './ports/store.js';
import type { LoginBackoffOptions } from './login-backoff.js';

/** See {@link BrokerOptions.sessionOwner}. */
export type SessionOwner = 'user' | 'client_id';

/**
 * Limits a broker enforces; every one configurable. A limit that may be switched off is
 * `Infinity` when off: the core compares against it and knows no other "no limit" value
 * (the configuration's `0` and `-1` are translated where it is read).
 */
export interface BrokerLimits {
  /** Largest packet accepted from clients, fixed header included (v5 Maximum Packet Size we advertise). */
  maxPacketSize: number;
  /** Largest PUBLISH payload accepted (mosquitto's `message_size_limit`); Infinity: no limit beyond the packet size. */
  maxPayloadSize: number;
  /** Outgoing QoS 1/2 messages in flight per client (also the v5 Receive Maximum we advertise). */
  maxInflightMessages: number;
  /**
   * Messages queued per client (QoS 0 waiting for a congested link included) beyond the
   * inflight window. While the client drains, publishers wait for room; while it is
   * offline or slow, more are dropped and counted. Infinity: no limit.
   */
  maxQueuedMessages: number;
  /** Bytes of payload queued per client, as {@link maxQueuedMessages}. Infinity: no byte limit. */
  maxQueuedBytes: number;
  /**
   * Bytes queued in all sessions together (payload plus a fixed overhead per entry) past
   * which every publisher is paused and offline or slow sessions get no more (Infinity: no cap).
   */
  maxQueuedBytesTotal: number;
  /** Seconds a backlogged client may drain nothing before it is a slow consumer (0: never). */
  slowConsumerTimeout: number;
  /** Disconnect slow consumers (as NATS does) rather than drop what their queues cannot hold. */
  slowConsumerDisconnect: boolean;
  /** Levels a topic name or filter may have. */
  maxTopicLevels: number;
  /** Seconds a new connection has to send CONNECT. */
  connectTimeout: number;
  /** Largest keep alive granted, seconds (v5 Server Keep Alive when a client asks more). */
  maxKeepalive: number;
  /** Cap on session expiry, seconds; also bounds 3.1.1 persistent sessions. 0xFFFFFFFF: no cap. */
  maxSessionExpiryInterval: number;
  /** Topic Alias Maximum we advertise to v5 clients (0: aliases not accepted). */
  topicAliasMaximum: number;
  /** Highest QoS the broker supports (v5 Maximum QoS). */
  maxQos: 0 | 1 | 2;
  /**
   * Bytes waiting for a client (its socket's backlog and its queue) past which the
   * publishers adding to them are paused, until it is back under half of this.
   */
  socketHighWaterMark: number;
  /** Packets of one traced client (`traceClients`) logged per second; the rest are counted. */
  tracePacketsPerSecond: number;
  /** Bytes of each traced packet shown in its hex dump. */
  traceDumpBytes: number;
}

/** Everything a {@link Broker} is built from. Adapters are injected, never imported. */
export interface BrokerOptions {
  limits: BrokerLimits;
  /** Accept a zero-length client id and assign one [MQTT-3.1.3-6]. */
  allowZeroLengthClientId: boolean;
  /** Retained messages supported (v5 Retain Available). */
  retainAvailable: boolean;
  /**
   * v5 Response Information for clients that ask for it: this prefix followed by
   * the client id, a topic subtree the client may use for responses.
   */
  responseInformationPrefix: string;
  /** Authenticators in chain order (first deny wins); none: everyone admitted. */
  authenticators: Authenticator[];
  /** Authorizers in chain order (first deny wins); none: everything allowed. */
  authorizers: Authorizer[];
  /** MQTT 5 enhanced authentication methods, by Authentication Method. */
  enhancedAuthenticators: EnhancedAuthenticator[];
  /** Seconds a client has to answer each step of an AUTH exchange. */
  authStepTimeout: number;
  store: Store | undefined;
  /**
   * The other nodes of a cluster (the Redis adapter in `src/cluster/`); undefined:
   * this broker runs alone, exactly as without clustering.
   */
  cluster: ClusterBus | undefined;
  logger: Logger | undefined;
  /** Name of this broker in logs and $SYS. */
  brokerName: string;
  /** Topic filters whose messages may only be delivered over encrypted links. */
  confidentialTopics: string[];
  /**
   * Who a session belongs to (`session_owner`). `user`: the user name (or certificate
   * identity) that created it; a CONNECT with its client id from another user is refused
   * with 0x85 (3.1.1: identifier rejected). `client_id`: Mosquitto's behaviour, whoever
   * presents the client id takes the session over. Either way every queued or in-flight
   * message is checked against the connected client's read access when it is sent.
   */
  sessionOwner: SessionOwner;
  /** Per-source backoff after failed logins; see `LoginBackoff` for the defaults. */
  loginBackoff: Partial<LoginBackoffOptions>;
  /**
   * Client id patterns (`*` matches any run of characters) whose packets are logged,
   * decoded with a hex dump (`trace_clients`); change them at run time with
   * `Broker.setTraceClients`.
   */
  traceClients: string[];
}

/** Defaults: safe, local, and close to what Mosquitto 2 users expect. */
export const defaultLimits: BrokerLimits = {
  maxPacketSize: 1024 * 1024,
  maxPayloadSize: Infinity,
  maxInflightMessages: 20,
  maxQueuedMessages: 100_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxQueuedBytesTotal: 1024 * 1024 * 1024,
  slowConsumerTimeout: 5,
  slowConsumerDisconnect: false,
  maxTopicLevels: 128,
  connectTimeout: 10,
  maxKeepalive: 65535,
  maxSessionExpiryInterval: 0xffffffff,
  topicAliasMaximum: 10,
  maxQos: 2,
  socketHighWaterMark: 1024 * 1024,
  tracePacketsPerSecond: 50,
  traceDumpBytes: 256,
};

/** Fills in defaults for everything not given. */
export function resolveBrokerOptions(partial: Partial<Omit<BrokerOptions, 'limits'>> & { limits?: Partial<BrokerLimits> } = {}): BrokerOptions {
  return {
    allowZeroLengthClientId: partial.allowZeroLengthClientId ?? true,
    retainAvailable: partial.retainAvailable ?? true,
    responseInformationPrefix: partial.responseInformationPrefix ?? 'response/',
    authenticators: partial.authenticators ?? [],
    authorizers: partial.authorizers ?? [],
    enhancedAuthenticators: partial.enhancedAuthenticators ?? [],
    authStepTimeout: partial.authStepTimeout ?? 10,
    store: partial.store,
    cluster: partial.cluster,
    logger: partial.logger,
    brokerName: partial.brokerName ?? 'midge',
    confidentialTopics: partial.confidentialTopics ?? [],
    sessionOwner: partial.sessionOwner ?? 'user',
    loginBackoff: partial.loginBackoff ?? {},
    traceClients: partial.traceClients ?? [],
    limits: { ...defaultLimits, ...partial.limits },
  };
}
