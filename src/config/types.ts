import type { TlsFiles } from '../transport/tls-context.js';

/**
 * The resolved configuration: every setting has a value, defaults included, relative paths
 * made absolute. Plain data (no origins, no methods), so two configurations written in
 * different syntaxes compare deep-equal when they mean the same thing. Where a setting came
 * from is kept apart (see `configProvenance`).
 */

/** What a listener speaks. `mqttsn` is MQTT-SN over UDP; `http` serves the admin API. */
export type ListenerProtocol = 'mqtt' | 'websockets' | 'mqttsn' | 'http';

/** midge's log levels (mosquitto's `log_type` is accepted but has no effect). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** `normal`: commit without waiting for the disk; `full`: fsync every commit. */
export type PersistenceSync = 'normal' | 'full';

/** Restricts a listener to one address family, as mosquitto's `socket_domain`. */
export type SocketDomain = 'ipv4' | 'ipv6';

/**
 * The options mosquitto moves onto each listener when `per_listener_settings` is true.
 * Every listener carries the ones in effect for it, whatever that setting.
 */
export interface SecuritySettings {
  /**
   * Clients without a username may connect. Default, as in Mosquitto 2: true only when the
   * configuration declares no listener (midge then listens on 127.0.0.1 alone), else false.
   */
  allowAnonymous: boolean;
  /** mosquitto_passwd-format file of users; undefined: none. */
  passwordFile: string | undefined;
  /** mosquitto-format ACL file; undefined: none. */
  aclFile: string | undefined;
  /** Accept an empty client id and assign one [MQTT-3.1.3-6]. Default true. */
  allowZeroLengthClientId: boolean;
}

/**
 * Certificate-based TLS on a listener: present exactly when certfile and keyfile are set.
 * The files and handshake settings are the TLS listener's own (`TlsFiles`); the two
 * identity settings decide how a certificate becomes a user name.
 */
export interface TlsSettings extends TlsFiles {
  /** Use the client certificate's CN as the username. Default false. */
  useIdentityAsUsername: boolean;
  /** Use the client certificate's full subject as the username. Default false. */
  useSubjectAsUsername: boolean;
}

/** One socket midge listens on. */
export interface ListenerConfig {
  /** 0 asks the system for a free port (handy in tests). */
  port: number;
  /** Address to bind; undefined: every interface. */
  address: string | undefined;
  protocol: ListenerProtocol;
  /**
   * Traffic on this listener is encrypted: TLS (mqtts, wss, https) is; plain TCP, plain
   * WebSocket and MQTT-SN over UDP are not.
   */
  encrypted: boolean;
  tls: TlsSettings | undefined;
  /** Connections accepted at once; -1: no limit (mosquitto's convention). */
  maxConnections: number;
  /** WebSocket upgrades are accepted on this path only; undefined: any path. */
  websocketsPath: string | undefined;
  /** Everything published through this listener is treated as confidential. Default false. */
  confidential: boolean;
  /** Address family to bind; undefined: whatever the address resolves to. */
  socketDomain: SocketDomain | undefined;
  /** Authentication in effect on this listener (see `per_listener_settings`). */
  security: SecuritySettings;
}

/** Authentication options that apply to the whole broker. */
export interface AuthSettings extends SecuritySettings {
  /**
   * mosquitto's `per_listener_settings`: when true the security options are set per listener
   * and these global ones serve only as the environment-override layer.
   */
  perListenerSettings: boolean;
  /** Users from the password file who may use the admin API. */
  adminUsers: string[];
  /** Bearer token for the admin API (a secret: redacted by `formatConfig`). */
  adminToken: string | undefined;
  /** SCRAM-SHA-256 users for MQTT 5 enhanced authentication. */
  scramUsersFile: string | undefined;
}

/** Limits the broker enforces; names follow the broker's `BrokerLimits`. */
export interface LimitSettings {
  /**
   * Largest packet accepted, fixed header included (the v5 Maximum Packet Size we advertise).
   * Default 1 MiB, safe by default; mosquitto's `0` (no limit) means the protocol's 268435455.
   */
  maxPacketSize: number;
  /** Largest PUBLISH payload (mosquitto's deprecated `message_size_limit`); 0: no limit. */
  maxPayloadSize: number;
  /**
   * QoS 1/2 messages in flight per client, also the v5 Receive Maximum we advertise.
   * Default 20; mosquitto's `0` (no limit) means 65535, the most a Receive Maximum can say.
   */
  maxInflightMessages: number;
  /** Messages queued per client beyond the inflight window. Default 1000; 0: no limit. */
  maxQueuedMessages: number;
  /** Payload bytes queued per client. Default 0: no byte limit. */
  maxQueuedBytes: number;
  /** Levels a topic name or filter may have. Default 128. */
  maxTopicLevels: number;
  /** Seconds a new connection has to send CONNECT. Default 10. */
  connectTimeout: number;
  /** Largest keep alive granted, seconds (the v5 Server Keep Alive). Default 65535. */
  maxKeepalive: number;
  /**
   * Cap on session expiry, seconds; also bounds 3.1.1 persistent sessions (mosquitto's
   * `persistent_client_expiration`). Default 4294967295: no cap.
   */
  maxSessionExpiryInterval: number;
  /** Topic Alias Maximum we advertise to v5 clients; 0: none. Default 10. */
  topicAliasMaximum: number;
  /** Highest QoS supported (v5 Maximum QoS). Default 2. */
  maxQos: 0 | 1 | 2;
  /** Retained messages supported (v5 Retain Available). Default true. */
  retainAvailable: boolean;
  /** Default `maxConnections` for listeners that set none; -1: no limit (default). */
  maxConnections: number;
}

/** Where and how midge keeps sessions and retained messages. */
export interface PersistenceSettings {
  /** Default true (unlike mosquitto): midge is durable by default. */
  enabled: boolean;
  /** Directory of the store. Default `./data`, made absolute. */
  location: string;
  /** Default `normal`. */
  sync: PersistenceSync;
}

/** Running the broker: $SYS, logs, tracing. */
export interface OperationSettings {
  /** Seconds between $SYS updates; 0: off. Default 10. */
  sysInterval: number;
  /** Default `info`. */
  logLevel: LogLevel;
  /** Client id patterns (`*` matches any run of characters) whose packets are logged. */
  traceClients: string[];
  /** v5 Response Information prefix handed to clients that ask (followed by their client id); empty: not offered. Default `response/`. */
  responseInformationPrefix: string;
}

/** A topic id an MQTT-SN client may use without registering it. */
export interface PredefinedTopic {
  id: number;
  topic: string;
}

/** The MQTT-SN gateway (used by listeners with `protocol mqttsn`). */
export interface MqttSnSettings {
  /** GwId in ADVERTISE and GWINFO. Default 1. */
  gatewayId: number;
  /** Seconds between ADVERTISE broadcasts; 0: off. Default 0. */
  advertiseInterval: number;
  predefinedTopics: PredefinedTopic[];
  /** MQTT-SN clients tracked at once. Default 1000 (UDP senders are cheap to spoof). */
  maxClients: number;
}

/** Several midge nodes sharing sessions and routes over Redis. */
export interface ClusterSettings {
  /** `redis://` or `rediss://` URL; may hold a password (redacted by `formatConfig`). */
  redisUrl: string;
  /** This node's name in the cluster; undefined: the broker picks one. */
  nodeId: string | undefined;
}

/** Everything the broker is configured with. */
export interface MidgeConfig {
  listeners: ListenerConfig[];
  auth: AuthSettings;
  limits: LimitSettings;
  persistence: PersistenceSettings;
  operations: OperationSettings;
  mqttsn: MqttSnSettings;
  /** Topic filters whose messages are confidential (issue 10). */
  confidentialTopics: string[];
  /** Undefined: this node runs alone. */
  cluster: ClusterSettings | undefined;
  /** mosquitto options that were accepted but change nothing in midge (sorted). */
  acceptedWithoutEffect: string[];
}

/** Port of the listener midge opens when the configuration declares none. */
export const DEFAULT_MQTT_PORT = 1883;
/** Port of an MQTT-SN listener that names none (YAML, or mosquitto's default listener). */
export const DEFAULT_MQTTSN_PORT = 1884;
/** Address of the listener midge opens when the configuration declares none. */
export const LOCAL_ONLY_ADDRESS = '127.0.0.1';
/** The largest MQTT packet: a 268435455-byte remaining length. */
export const MAX_MQTT_PACKET_SIZE = 268435455;
/** Largest four-byte integer; as a session expiry cap, no cap. */
export const NO_EXPIRY_CAP = 0xffffffff;
