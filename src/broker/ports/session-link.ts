import type { ProtocolVersion, QoS } from '../../protocol/index.js';
import type { BrokerMessage } from '../message.js';
import type { ClientPrincipal } from './auth.js';
import type { ListenerSecurity } from './transport.js';

/** One PUBLISH to send to a client. */
export interface OutgoingPublish {
  message: BrokerMessage;
  qos: QoS;
  /** RETAIN flag on this copy [MQTT-3.3.1-9] [MQTT-3.3.1-12]. */
  retain: boolean;
  /** Packet id for QoS 1/2. */
  packetId: number | undefined;
  dup: boolean;
  /** v5 Subscription Identifiers of every matching subscription [MQTT-3.3.4-3]. */
  subscriptionIds: number[] | undefined;
}

/**
 * The live side of an online session: an MQTT connection, or an MQTT-SN client of
 * the gateway. Sessions decide what to send and when; links encode and write.
 */
export interface SessionLink {
  readonly protocolVersion: ProtocolVersion;
  /**
   * Who is connected. Replaced, never changed in place, when that changes (a
   * re-authentication with another user name): a read decision made for one principal
   * object is reused for it alone (see `Authorizer.version`).
   */
  readonly principal: ClientPrincipal;
  /** What arrives on or leaves through this link is encrypted on the wire. */
  readonly encrypted: boolean;
  /**
   * QoS 1/2 messages the client takes in flight at once (MQTT-SN: 1), when the link
   * has a limit of its own; an MqttConnection states its v5 Receive Maximum instead.
   */
  readonly receiveMaximum?: number;
  /** The listener's own authorizers (per_listener_settings); undefined: the broker's. */
  readonly security?: ListenerSecurity | undefined;
  /** False while the link's outgoing buffer is above its high-water mark. */
  writable(): boolean;
  /**
   * False while the client takes nothing by its protocol's design (an MQTT-SN client
   * asleep): no publisher waits for it, and QoS 0 its link cannot take is dropped at
   * once. Undefined: always true.
   */
  drains?(): boolean;
  /** Bytes written to the link and not yet taken by the client (undefined: the link buffers nothing). */
  backlog?(): number;
  /**
   * Sends a PUBLISH. Returns false when it could not be sent at all (e.g. larger
   * than the client's Maximum Packet Size, which the spec says to treat as sent).
   */
  sendPublish(publish: OutgoingPublish): boolean;
  sendPubrel(packetId: number): void;
  /** Ends the connection, with a DISCONNECT reason code where the protocol has one. */
  close(reasonCode: number, reason: string): void;
}
