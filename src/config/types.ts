import type { TlsFiles } from '../transport/tls-context.js';
import type { Section, SectionFields } from './option-spec.js';
import type { OPTION_TABLE } from './options.js';

/**
 * The resolved configuration: every setting has a value, defaults included, relative paths
 * made absolute, and every "no limit" of mosquitto's language (`0`, `-1`) turned into what
 * the broker core takes (`Infinity`, or the protocol's maximum). Plain data (no origins, no
 * methods), so two configurations written in different syntaxes compare deep-equal when
 * they mean the same thing. Where a setting came from is kept apart (`configProvenance`).
 *
 * The fields of each part are derived from the option table (`options.ts`); what each one
 * means, its default and how it differs from mosquitto are in docs/configuration.md.
 */
type Fields<S extends Section> = SectionFields<typeof OPTION_TABLE, S>;

/** The fields of one section of the resolved config, as the option table puts them there. */
export type ConfigSection<S extends Section> = Fields<S>;

export type { PredefinedTopic } from './option-values.js';
import type { BridgeAddress } from '../bridge/options.js';
export { MAX_MQTT_PACKET_SIZE, NO_EXPIRY_CAP } from './option-values.js';

/** What a listener speaks. `mqttsn` is MQTT-SN over UDP; `http` serves the admin API. */
export type ListenerProtocol = ListenerConfig['protocol'];

/** midge's log levels (mosquitto's `log_type` is accepted but has no effect). */
export type LogLevel = OperationSettings['logLevel'];

/** `normal`: commit without waiting for the disk; `full`: fsync every commit. */
export type PersistenceSync = PersistenceSettings['sync'];

/** Restricts a listener to one address family, as mosquitto's `socket_domain`. */
export type SocketDomain = NonNullable<ListenerConfig['socketDomain']>;

/**
 * The options mosquitto moves onto each listener when `per_listener_settings` is true.
 * Every listener carries the ones in effect for it, whatever that setting.
 */
export type SecuritySettings = Fields<'security'>;

/**
 * Certificate-based TLS on a listener: present exactly when certfile and keyfile are set.
 * The files and handshake settings are the TLS listener's own (`TlsFiles`); the two
 * identity settings decide how a certificate becomes a user name.
 */
export type TlsSettings = Fields<'tls'> & TlsFiles;

/** One socket midge listens on. */
export type ListenerConfig = Fields<'listener'> & {
  /** 0 asks the system for a free port (handy in tests). */
  port: number;
  /** Address to bind; undefined: every interface. */
  address: string | undefined;
  /**
   * Traffic on this listener is encrypted: TLS (mqtts, wss, https) is; plain TCP, plain
   * WebSocket and MQTT-SN over UDP are not.
   */
  encrypted: boolean;
  tls: TlsSettings | undefined;
  /** Connections accepted at once; Infinity (mosquitto's -1 or 0, the default): a share of the open-file limit (see `max_connections`). */
  maxConnections: number;
  /** Authentication in effect on this listener (see `per_listener_settings`). */
  security: SecuritySettings;
};

/** Authentication options that apply to the whole broker. */
export type AuthSettings = SecuritySettings & Fields<'auth'> & {
  /**
   * mosquitto's `per_listener_settings`: when true the security options are set per listener
   * and these global ones serve only as the environment-override layer.
   */
  perListenerSettings: boolean;
};

/** Limits the broker enforces (`BrokerLimits` names), and the listeners' default `maxConnections`. */
export type LimitSettings = Fields<'limits'>;

/** Where and how midge keeps sessions and retained messages. */
export type PersistenceSettings = Fields<'persistence'>;

/** Running the broker: $SYS, logs, tracing. */
export type OperationSettings = Fields<'operations'>;

/** The MQTT-SN gateway (used by listeners with `protocol mqttsn`). */
export type MqttSnSettings = Fields<'mqttsn'>;

/** Several midge nodes sharing sessions and routes over Redis. */
export type ClusterSettings = Fields<'cluster'>;

export type { BridgeAddress, BridgeDirection, BridgeRestart, BridgeTopic } from '../bridge/options.js';

/** TLS towards the remote broker (`bridge_cafile` or `bridge_capath`, or a `mqtts://`/`wss://` address). */
export type BridgeTls = Fields<'bridgeTls'>;

/** The options of a bridge whose defaults depend on others (see `bridge-resolve.ts`). */
type BridgeDerived = 'addresses' | 'localCleanSession' | 'remoteClientId' | 'localClientId' | 'notificationTopic';

/** One bridge (`connection NAME` and the options after it), every default filled in. */
export type BridgeConfig = Omit<Fields<'bridge'>, BridgeDerived> & {
  /** The connection name, unique in the configuration. */
  name: string;
  /** Remote brokers to dial, in order, each with its scheme (host:port is `mqtts:` when a CA is configured, else `mqtt:`). */
  addresses: BridgeAddress[];
  localCleanSession: boolean;
  remoteClientId: string;
  localClientId: string;
  notificationTopic: string;
  /** Undefined: plain TCP (or plain WebSocket). */
  tls: BridgeTls | undefined;
};

/** Everything the broker is configured with. */
export type MidgeConfig = Fields<'root'> & {
  listeners: ListenerConfig[];
  auth: AuthSettings;
  limits: LimitSettings;
  persistence: PersistenceSettings;
  operations: OperationSettings;
  mqttsn: MqttSnSettings;
  /** Undefined: this node runs alone. */
  cluster: ClusterSettings | undefined;
  /** Links to other brokers (`connection` blocks), in the order written. */
  bridges: BridgeConfig[];
  /** mosquitto options that were accepted but change nothing in midge (sorted). */
  acceptedWithoutEffect: string[];
};

/** Port of the listener midge opens when the configuration declares none. */
export const DEFAULT_MQTT_PORT = 1883;
/** Port of an MQTT-SN listener that names none (YAML, or mosquitto's default listener). */
export const DEFAULT_MQTTSN_PORT = 1884;
/** Address of the listener midge opens when the configuration declares none. */
export const LOCAL_ONLY_ADDRESS = '127.0.0.1';
