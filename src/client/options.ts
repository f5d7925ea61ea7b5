import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Properties, ProtocolVersion, QoS, RetainHandling, Subscription, Will } from '../protocol/index.js';
import { dial, type DialOptions, type DialTlsOptions } from '../transport/dial.js';
import type { ReconnectOptions } from './backoff.js';
import type { SubscriptionRequest } from './client-types.js';
import type { ClientAuthenticator } from './enhanced-auth.js';
import { MqttClientError } from './errors.js';
import type { InflightStore } from './inflight-store.js';
import type { SessionConfig } from './session-types.js';

/** A payload as the application may give it; strings are sent as UTF-8. */
export type Payload = string | Buffer | Uint8Array;

/** The Will Message to put in CONNECT. */
export interface WillOptions {
  topic: string;
  payload?: Payload;
  qos?: QoS;
  retain?: boolean;
  /** v5 will properties (will delay interval, message expiry, content type, ...). */
  properties?: Properties;
}

/** Everything {@link MqttClient} can be told; every field is optional. */
export interface ClientOptions {
  /** 3 (MQTT 3.1), 4 (3.1.1, the default) or 5. */
  protocolVersion?: ProtocolVersion;
  /**
   * Default: empty in v5 (the server assigns one), `midge-` and random hex before
   * (MQTT 3.1 requires one, and 3.1.1 servers may refuse an empty one).
   */
  clientId?: string;
  /** Clean Session / Clean Start; default true. */
  clean?: boolean;
  /** Seconds; default 60; 0 turns keep alive off. */
  keepAlive?: number;
  /** Default: the user name of the URL, if any. */
  username?: string;
  /** Default: the password of the URL, if any. */
  password?: string | Buffer;
  will?: WillOptions;
  /** v5 CONNECT properties: sessionExpiryInterval, receiveMaximum, maximumPacketSize, topicAliasMaximum, userProperties, ... */
  properties?: Properties;
  /**
   * v5 enhanced authentication (MQTT 5.0 section 4.12), e.g. `new ScramSha256(user, password)`:
   * its method goes in CONNECT, and each connection runs a new exchange with the server.
   */
  authenticator?: ClientAuthenticator;
  /** Give up on a connection attempt after this long (dial and CONNACK); default 30 s. */
  connectTimeoutMs?: number;
  /** Reconnect after losing an established connection; default true, with {@link ReconnectOptions} defaults. */
  reconnect?: boolean | ReconnectOptions;
  /** Subscribe again when the server did not keep the session; default true. */
  resubscribe?: boolean;
  /** Publish unacknowledged QoS 1/2 messages again when the server lost the session; default true. */
  resendOnSessionLoss?: boolean;
  /** Use topic aliases for outgoing messages when the server allows them (v5); default false. */
  autoTopicAlias?: boolean;
  /** How long to wait for PINGRESP, in ms; default: the keep-alive interval. */
  pingTimeoutMs?: number;
  /** Where unacknowledged outgoing QoS 1/2 messages are kept; default: in memory. */
  inflightStore?: InflightStore;
  /** TLS settings for mqtts: and wss: (ca, cert, key, rejectUnauthorized, servername, ...). */
  tls?: DialTlsOptions;
  /** WebSocket settings for ws: and wss:. */
  ws?: { path?: string; headers?: Record<string, string>; protocol?: string };
  /** Local address to bind the outgoing socket to. */
  localAddress?: string;
  /** Tell the server the client is a broker's bridge (mosquitto's `try_private`: bit 0x80 of the protocol level). */
  bridge?: boolean;
  /**
   * `application`: the application keeps the state of PUBLISH flows itself (a bridge or a
   * gateway that stores it with its own data): it gets every PUBLISH, PUBACK, PUBREC, PUBREL
   * and PUBCOMP as a `flow` event and answers with `sendFlow()`, which it also publishes
   * with. Default `client`.
   */
  publishFlows?: 'client' | 'application';
  /** Opens the byte stream; default {@link dial}. Tests and custom transports replace it. */
  dialer?: (url: URL, options: DialOptions) => Promise<Duplex>;
}

/** Options of one publish. */
export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** v5 PUBLISH properties: userProperties, correlationData, responseTopic, contentType, messageExpiryInterval, ... */
  properties?: Properties;
}

/** Options applied to every filter of a subscribe call given as strings. */
export interface SubscribeOptions {
  qos?: QoS;
  /** v5: do not receive your own messages. */
  noLocal?: boolean;
  /** v5: keep the RETAIN flag as published. */
  retainAsPublished?: boolean;
  /** v5: 0 send retained messages, 1 only for a new subscription, 2 never. */
  retainHandling?: RetainHandling;
  /** v5 SUBSCRIBE properties: subscriptionIdentifiers (one), userProperties. */
  properties?: Properties;
}

/** What the glue needs, with defaults applied. */
export interface ResolvedOptions {
  session: SessionConfig;
  connectTimeoutMs: number;
  reconnect: ReconnectOptions | undefined;
  dialOptions: DialOptions;
  dialer: (url: URL, options: DialOptions) => Promise<Duplex>;
  inflightStore: InflightStore | undefined;
  authenticator: ClientAuthenticator | undefined;
}

/** Converts a payload to the Buffer the codec sends, copying views so later changes do not leak in. */
export function toBuffer(payload: Payload | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  return Buffer.from(payload);
}

/** Applies defaults and takes user name and password from the URL when not given. */
export function resolveOptions(url: URL, options: ClientOptions): ResolvedOptions {
  const version = options.protocolVersion ?? 4;
  const session: SessionConfig = {
    protocolVersion: version,
    clientId: options.clientId ?? (version === 5 ? '' : `midge-${randomBytes(6).toString('hex')}`),
    clean: options.clean ?? true,
    keepAlive: options.keepAlive ?? 60,
    resubscribe: options.resubscribe ?? true,
    resendOnSessionLoss: options.resendOnSessionLoss ?? true,
    autoTopicAlias: options.autoTopicAlias ?? false,
  };
  const username = options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  if (username !== undefined) session.username = username;
  if (password !== undefined) session.password = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (options.will) session.will = toWill(options.will);
  if (options.properties) session.properties = options.properties;
  if (options.authenticator) {
    if (version !== 5) throw new MqttClientError('INVALID_ARGUMENT', `${options.authenticator.method} is MQTT 5 enhanced authentication: it needs protocolVersion 5`);
    session.properties = { ...session.properties, authenticationMethod: options.authenticator.method };
  }
  if (options.pingTimeoutMs !== undefined) session.pingTimeoutMs = options.pingTimeoutMs;
  if (options.bridge) session.bridge = true;
  if (options.publishFlows) session.publishFlows = options.publishFlows;
  return {
    session,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    reconnect: options.reconnect === false ? undefined : options.reconnect === true || options.reconnect === undefined ? {} : options.reconnect,
    dialOptions: dialOptionsOf(options),
    dialer: options.dialer ?? dial,
    inflightStore: options.inflightStore,
    authenticator: options.authenticator,
  };
}

function toWill(will: WillOptions): Will {
  const result: Will = { topic: will.topic, payload: toBuffer(will.payload), qos: will.qos ?? 0, retain: will.retain ?? false };
  if (will.properties) result.properties = will.properties;
  return result;
}

function dialOptionsOf(options: ClientOptions): DialOptions {
  const dialOptions: DialOptions = { timeoutMs: options.connectTimeoutMs ?? 30_000 };
  if (options.tls) dialOptions.tls = options.tls;
  if (options.localAddress) dialOptions.localAddress = options.localAddress;
  if (options.ws?.path) dialOptions.wsPath = options.ws.path;
  if (options.ws?.headers) dialOptions.wsHeaders = options.ws.headers;
  if (options.ws?.protocol) dialOptions.wsProtocol = options.ws.protocol;
  return dialOptions;
}

/** The SUBSCRIBE entry for one requested filter, the call's defaults filling what it leaves out. */
export function subscriptionOf(request: SubscriptionRequest, defaults: SubscribeOptions): Subscription {
  const subscription: Subscription = { topicFilter: request.topicFilter, qos: request.qos ?? defaults.qos ?? 0 };
  const noLocal = request.noLocal ?? defaults.noLocal;
  const retainAsPublished = request.retainAsPublished ?? defaults.retainAsPublished;
  const retainHandling = request.retainHandling ?? defaults.retainHandling;
  if (noLocal !== undefined) subscription.noLocal = noLocal;
  if (retainAsPublished !== undefined) subscription.retainAsPublished = retainAsPublished;
  if (retainHandling !== undefined) subscription.retainHandling = retainHandling;
  return subscription;
}
