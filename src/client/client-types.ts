import type {
  AuthPacket, DisconnectPacket, Packet, Properties, QoS, RetainHandling, Subscription,
} from '../protocol/index.js';
import type { FlowPacket } from './application-flows.js';
import type { MqttMessage, PublishOutcome, ServerLimits } from './session-types.js';

/** What a successful connection reports. */
export interface ConnectInfo {
  sessionPresent: boolean;
  /** 0, or the v5 CONNACK reason code (always below 0x80 here). */
  reasonCode: number;
  /** v5 CONNACK properties, as sent. */
  properties?: Properties;
  /** The client identifier in use (the server's Assigned Client Identifier, if it sent one). */
  clientId: string;
  /** What the server allows, v5 defaults filled in. */
  limits: ServerLimits;
}

/** One packet in or out, with its bytes: the hook for packet tracing. */
export interface PacketTrace {
  direction: 'in' | 'out';
  packet: Packet;
  bytes: Buffer;
}

/** The outcome of a publish: for QoS 1/2 from PUBACK or PUBCOMP, for QoS 0 once written. */
export type PublishResult = PublishOutcome;

/** A topic filter with its own options, for {@link MqttClient.subscribe}. */
export interface SubscriptionRequest {
  topicFilter: string;
  qos?: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: RetainHandling;
}

/** How to end. */
export interface EndOptions {
  /** v5 DISCONNECT reason code; 0x04 asks the server to publish the will. */
  reasonCode?: number;
  /** v5 DISCONNECT properties (e.g. sessionExpiryInterval, reasonString). */
  properties?: Properties;
  /** How long to wait for the connection to close before cutting it; default 2 s. */
  timeoutMs?: number;
}

/** Events of {@link MqttClient}, with their arguments. */
export interface ClientEvents {
  /** A connection was accepted (the first or a reconnection). */
  connect: [info: ConnectInfo];
  /** An established connection was lost; a reconnection follows if enabled. */
  offline: [error: Error];
  /** A reconnection attempt is scheduled. */
  reconnect: [attempt: number, delayMs: number];
  /** The client ended: `end()` (no error) or it gave up (the error). */
  close: [error: Error | undefined];
  message: [message: MqttMessage];
  /** Every packet sent or received, with its bytes (for tracing). */
  packet: [trace: PacketTrace];
  /** The server sent DISCONNECT (v5). */
  disconnect: [packet: DisconnectPacket];
  /** The client subscribed again after the server lost the session. */
  resubscribe: [reasonCodes: number[], subscriptions: Subscription[]];
  /** The server sent AUTH (v5 enhanced authentication). */
  auth: [packet: AuthPacket];
  /** A PUBLISH, PUBACK, PUBREC, PUBREL or PUBCOMP, when the application keeps the publish flows. */
  flow: [packet: FlowPacket];
  /** The connection can take more after {@link MqttClient.writable} said it could not. */
  drain: [];
}
