import type {
  AuthPacket, ConnackPacket, DisconnectPacket, Packet, Properties, ProtocolVersion, PublishPacket, QoS,
  Subscription, Will,
} from '../protocol/index.js';
import type { FlowPacket } from './application-flows.js';
import type { MqttClientError } from './errors.js';

/** What the protocol state machine needs to know about the client. */
export interface SessionConfig {
  protocolVersion: ProtocolVersion;
  /** May be empty in v5: the server then assigns one [MQTT-3.1.3-6]. */
  clientId: string;
  /** Clean Session (3.1.1) / Clean Start (5.0) of the first connection. */
  clean: boolean;
  /** Seconds; 0 turns keep alive off. */
  keepAlive: number;
  username?: string;
  password?: Buffer;
  will?: Will;
  /** v5 CONNECT properties (session expiry, receive maximum, topic alias maximum, ...). */
  properties?: Properties;
  /** Subscribe again to everything when the server did not keep the session; default true. */
  resubscribe?: boolean;
  /**
   * When the server did not keep the session, publish unacknowledged QoS 1/2 messages
   * again as new messages (true, the default) or fail them (false).
   */
  resendOnSessionLoss?: boolean;
  /** Choose outgoing topic aliases automatically within the server's maximum; default false. */
  autoTopicAlias?: boolean;
  /** How long to wait for PINGRESP, in ms; default: the keep-alive interval. */
  pingTimeoutMs?: number;
  /** Announce the client as a bridge: mosquitto's bit 0x80 in the CONNECT protocol level. */
  bridge?: boolean;
  /**
   * Who keeps the state of PUBLISH flows: the client (default), or the application, which
   * then gets every PUBLISH, PUBACK, PUBREC, PUBREL and PUBCOMP as a `flow` event and
   * sends its own (see `ApplicationFlows`).
   */
  publishFlows?: 'client' | 'application';
}

/**
 * An incoming application message: the PUBLISH as received, with any topic alias
 * already resolved into `topic`.
 */
export type MqttMessage = Omit<PublishPacket, 'type'>;

/** A packet the state machine wants written, already encoded by the shared codec. */
export interface Frame {
  packet: Packet;
  bytes: Buffer;
  /** A QoS 0 publish operation that is complete once these bytes are written. */
  completes?: number;
}

/** The outcome of a QoS 1/2 publish, from its PUBACK or PUBCOMP. */
export interface PublishOutcome {
  packetId?: number;
  /** 0x00, or 0x10 No matching subscribers. */
  reasonCode: number;
  properties?: Properties;
}

/** The server's view of the connection, from CONNACK (v5 defaults filled in). */
export interface ServerLimits {
  receiveMaximum: number;
  /** Undefined: no limit beyond the protocol's. */
  maximumPacketSize?: number;
  maximumQoS: QoS;
  retainAvailable: boolean;
  topicAliasMaximum: number;
  wildcardSubscriptionAvailable: boolean;
  subscriptionIdentifiersAvailable: boolean;
  sharedSubscriptionAvailable: boolean;
  /** Seconds, the interval actually in force (the server's if it sent one [MQTT-3.2.2-21]). */
  keepAlive: number;
}

/**
 * Something the socket glue must act on. `op` ties an event to the API call that
 * started it; it is undefined for work the state machine started itself (a
 * resubscription, a message restored from a persistent store).
 */
export type SessionEvent =
  | { type: 'connected'; connack: ConnackPacket; limits: ServerLimits; clientId: string }
  | { type: 'connect-refused'; connack: ConnackPacket }
  | { type: 'publish-done'; op: number | undefined; outcome: PublishOutcome }
  | { type: 'publish-failed'; op: number | undefined; error: MqttClientError }
  | { type: 'subscribe-done'; op: number | undefined; reasonCodes: number[]; properties?: Properties; subscriptions: Subscription[] }
  | { type: 'subscribe-failed'; op: number | undefined; error: MqttClientError }
  | { type: 'unsubscribe-done'; op: number | undefined; reasonCodes: number[]; properties?: Properties }
  | { type: 'unsubscribe-failed'; op: number | undefined; error: MqttClientError }
  | { type: 'message'; message: MqttMessage }
  | { type: 'server-disconnect'; packet: DisconnectPacket }
  | { type: 'auth'; packet: AuthPacket }
  /** A PUBLISH flow packet, when the application keeps the flows (`publishFlows: 'application'`). */
  | { type: 'flow'; packet: FlowPacket }
  /** The connection must be closed (after writing the frames of this output). */
  | { type: 'close'; error: MqttClientError };

/** What one step of the state machine produced. */
export interface SessionOutput {
  send: Frame[];
  events: SessionEvent[];
}

/** A publish request from the application. */
export interface PublishRequest {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

/** The PUBLISH packet type the state machine stores and resends. */
export type StoredPublish = PublishPacket & { packetId: number };
