import {
  isFailureCode,
  MAX_REMAINING_LENGTH, PacketType, ProtocolViolationError, isMqttProtocolError, packetTypeNames, protocolNameFor,
  topicFilterProblem, topicNameProblem,
  type AuthPacket, type ConnackPacket, type MqttProtocolError, type ConnectPacket, type DisconnectPacket, type Packet, type Properties,
  type QoS, type Subscription,
} from '../protocol/index.js';
import { ApplicationFlows, isFlowPacket, type FlowPacket } from './application-flows.js';
import { MqttClientError, ReasonCodeError } from './errors.js';
import { IncomingFlows } from './incoming-flows.js';
import { MemoryInflightStore, type InflightStore } from './inflight-store.js';
import { KeepAlive } from './keep-alive.js';
import { OutgoingFlows } from './outgoing-flows.js';
import { Outbox } from './outbox.js';
import { PacketIdAllocator } from './packet-ids.js';
import type { PublishRequest, ServerLimits, SessionConfig, SessionOutput } from './session-types.js';
import { SubscriptionFlows } from './subscription-flows.js';
import { OutgoingTopicAliases } from './topic-aliases.js';

/** Where the connection stands, as far as the protocol knows. */
export type SessionPhase = 'offline' | 'connecting' | 'connected';

/** What the state machine takes besides its configuration. */
export interface SessionStateOptions {
  /** Unacknowledged outgoing QoS 1/2 messages; default {@link MemoryInflightStore}. */
  store?: InflightStore;
  /** A monotonic clock in ms; default `performance.now`. */
  now?: () => number;
}

/** An API call's operation number, with what the call produced. */
export interface Started {
  op: number;
  output: SessionOutput;
}

/**
 * The client's MQTT protocol state, free of I/O (as rumqttc keeps its state): API
 * calls and incoming packets go in; encoded packets to write and events for the
 * glue come out. It owns the packet identifiers, the QoS flows both ways, flow
 * control, topic aliases, keep alive timing and the decisions taken on reconnect.
 * It never touches a socket or a timer: the glue calls {@link tick} when
 * {@link nextTickAt} says so, and {@link connectionLost} when the stream closes.
 */
export class SessionState {
  private phaseValue: SessionPhase = 'offline';
  private clientIdValue: string;
  private limitsValue: ServerLimits | undefined;
  private everConnected = false;
  private nextOp = 1;
  private readonly now: () => number;
  private readonly keepAlive: KeepAlive;
  private readonly outgoing: OutgoingFlows;
  private readonly subscriptions: SubscriptionFlows;
  private readonly incoming: IncomingFlows;
  /** Set when the application keeps the PUBLISH flows itself. */
  private readonly application: ApplicationFlows | undefined;

  constructor(private readonly config: SessionConfig, options: SessionStateOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.clientIdValue = config.clientId;
    this.keepAlive = new KeepAlive(config.pingTimeoutMs);
    const ids = new PacketIdAllocator();
    const store = options.store ?? new MemoryInflightStore();
    this.outgoing = new OutgoingFlows(store, ids, new OutgoingTopicAliases(), config.autoTopicAlias ?? false);
    this.subscriptions = new SubscriptionFlows(ids);
    const props = config.protocolVersion === 5 ? config.properties : undefined;
    this.incoming = new IncomingFlows(config.protocolVersion, props?.receiveMaximum ?? 65_535, props?.topicAliasMaximum ?? 0);
    if (config.publishFlows === 'application') this.application = new ApplicationFlows(config.protocolVersion, props?.topicAliasMaximum ?? 0);
  }

  /** Offline, waiting for CONNACK, or connected. */
  get phase(): SessionPhase {
    return this.phaseValue;
  }

  /** The client identifier in use: the configured one, or the one the server assigned [MQTT-3.2.2-16]. */
  get clientId(): string {
    return this.clientIdValue;
  }

  /** What the server announced in its last successful CONNACK. */
  get limits(): ServerLimits | undefined {
    return this.limitsValue;
  }

  /** QoS 1/2 messages written and not yet acknowledged on this connection. */
  get inflightCount(): number {
    return this.outgoing.inflightCount;
  }

  /** Publishes waiting for a connection or for send quota. */
  get waitingCount(): number {
    return this.outgoing.waitingCount;
  }

  /** Topic filters granted and not unsubscribed (the ones subscribed again after a lost session). */
  get activeSubscriptions(): string[] {
    return this.subscriptions.activeFilters;
  }

  /**
   * Starts a connection: returns the CONNECT packet, the first packet the client
   * sends on it [MQTT-3.1.0-1]. `authenticationData` is this connection's first step
   * of enhanced authentication (v5), when the configuration names a method.
   */
  connect(authenticationData?: Buffer): SessionOutput {
    if (this.phaseValue !== 'offline') throw new MqttClientError('BUSY', `cannot connect while ${this.phaseValue}`);
    this.phaseValue = 'connecting';
    const out = this.outbox();
    const packet = this.connectPacket();
    if (authenticationData && packet.properties) packet.properties = { ...packet.properties, authenticationData };
    out.packet(packet);
    return out;
  }

  /** Handles one packet from the server. */
  handle(packet: Packet): SessionOutput {
    const out = this.outbox();
    try {
      this.dispatch(packet, out);
    } catch (e) {
      if (!isMqttProtocolError(e)) throw e;
      this.protocolFailure(e, out);
    }
    return out;
  }

  /**
   * The glue found a protocol error below the state machine (a packet that did not
   * decode, one above the client's Maximum Packet Size): send DISCONNECT with its
   * reason code (v5) and close (section 4.13).
   */
  fail(error: MqttProtocolError): SessionOutput {
    const out = this.outbox();
    this.protocolFailure(error, out);
    return out;
  }

  /** The network connection closed (for whatever reason). */
  connectionLost(): void {
    this.goOffline();
  }

  /** Keep alive: sends PINGREQ when due, or asks to close when PINGRESP is overdue. */
  tick(): SessionOutput {
    const out = this.outbox();
    if (this.phaseValue !== 'connected') return out;
    const action = this.keepAlive.check(this.now());
    if (action === 'ping') out.packet({ type: PacketType.PINGREQ });
    if (action === 'timeout') {
      const seconds = this.keepAlive.seconds;
      this.goOffline();
      out.event({ type: 'close', error: new MqttClientError('KEEPALIVE_TIMEOUT', `no PINGRESP from the server (keep alive ${seconds} s)`) });
    }
    return out;
  }

  /** When {@link tick} should next be called (clock of `now`), or undefined when not needed. */
  nextTickAt(): number | undefined {
    return this.phaseValue === 'connected' ? this.keepAlive.nextCheckAt() : undefined;
  }

  /** Starts a publish; QoS 1/2 messages are kept until acknowledged, across reconnects. */
  publish(request: PublishRequest): Started {
    if (this.application) throw new MqttClientError('INVALID_STATE', 'the application keeps the publish flows: send PUBLISH with sendFlow()');
    this.checkPublish(request);
    const op = this.nextOp++;
    const out = this.outbox();
    const packet = { type: PacketType.PUBLISH, ...request, dup: false } as const;
    this.outgoing.publish(op, packet, out);
    return { op, output: out };
  }

  /**
   * Sends a PUBLISH flow packet the application made (`publishFlows: 'application'`).
   * `sent` is false when it exceeds the server's Maximum Packet Size and was not sent.
   */
  sendFlow(packet: FlowPacket): { sent: boolean; output: SessionOutput } {
    if (!this.application) throw new MqttClientError('INVALID_STATE', "sendFlow() needs publishFlows: 'application'");
    if (this.phaseValue !== 'connected' || !this.limitsValue) throw new MqttClientError('NOT_CONNECTED', 'not connected');
    const out = this.outbox();
    return { sent: this.application.send(packet, this.limitsValue, out), output: out };
  }

  /** Starts a SUBSCRIBE for one or more filters. */
  subscribe(subscriptions: Subscription[], properties?: Properties): Started {
    if (subscriptions.length === 0) throw new MqttClientError('INVALID_ARGUMENT', 'subscribe needs at least one topic filter [MQTT-3.8.3-2]');
    for (const { topicFilter, qos } of subscriptions) {
      const problem = topicFilterProblem(topicFilter) ?? lengthProblem(topicFilter);
      if (problem) throw new MqttClientError('INVALID_TOPIC_FILTER', `invalid topic filter '${topicFilter}': ${problem}`);
      checkQoS(qos);
    }
    const op = this.nextOp++;
    const out = this.outbox();
    this.subscriptions.subscribe(op, subscriptions, properties, out);
    return { op, output: out };
  }

  /** Starts an UNSUBSCRIBE for one or more filters. */
  unsubscribe(topicFilters: string[], properties?: Properties): Started {
    if (topicFilters.length === 0) throw new MqttClientError('INVALID_ARGUMENT', 'unsubscribe needs at least one topic filter [MQTT-3.10.3-2]');
    const op = this.nextOp++;
    const out = this.outbox();
    this.subscriptions.unsubscribe(op, topicFilters, properties, out);
    return { op, output: out };
  }

  /**
   * Ends the connection on purpose: DISCONNECT (with a v5 reason code, e.g. 0x04
   * to have the will published), after which nothing more is sent [MQTT-3.14.4-1].
   */
  disconnect(reasonCode?: number, properties?: Properties): SessionOutput {
    const out = this.outbox();
    if (this.phaseValue === 'connected') {
      const packet: DisconnectPacket = { type: PacketType.DISCONNECT };
      if (reasonCode !== undefined) packet.reasonCode = reasonCode;
      if (properties) packet.properties = properties;
      out.packet(packet);
    }
    this.goOffline();
    return out;
  }

  /** Sends a v5 AUTH packet (enhanced authentication, when CONNECT named a method). */
  auth(reasonCode: number, properties: Properties): SessionOutput {
    if (this.config.protocolVersion !== 5 || !this.config.properties?.authenticationMethod) {
      throw new MqttClientError('INVALID_STATE', 'AUTH needs MQTT 5 and an authentication method in CONNECT [MQTT-4.12.0-7]');
    }
    const out = this.outbox();
    out.packet({ type: PacketType.AUTH, reasonCode, properties });
    return out;
  }

  /** Fails every operation still waiting (the client is ending for good). */
  abandon(error: MqttClientError): SessionOutput {
    const out = this.outbox();
    this.outgoing.abandon(out, error);
    this.subscriptions.abandon(out, error);
    return out;
  }

  private dispatch(packet: Packet, out: Outbox): void {
    if (packet.type === PacketType.CONNACK) return this.onConnack(packet, out);
    if (packet.type === PacketType.AUTH) return this.onAuth(packet, out);
    if (this.phaseValue !== 'connected') {
      throw new ProtocolViolationError(`${packetTypeNames[packet.type]} before CONNACK [MQTT-3.2.0-1]`);
    }
    if (this.application && isFlowPacket(packet)) return this.application.onPacket(packet, out);
    switch (packet.type) {
      case PacketType.PUBLISH: return this.incoming.onPublish(packet, out);
      case PacketType.PUBACK: return this.outgoing.onPuback(packet, out);
      case PacketType.PUBREC: return this.outgoing.onPubrec(packet, out);
      case PacketType.PUBREL: return this.incoming.onPubrel(packet, out);
      case PacketType.PUBCOMP: return this.outgoing.onPubcomp(packet, out);
      case PacketType.SUBACK: return this.subscriptions.onSuback(packet, out);
      case PacketType.UNSUBACK: return this.subscriptions.onUnsuback(packet, out);
      case PacketType.PINGRESP: return this.keepAlive.pong();
      case PacketType.DISCONNECT: return this.onServerDisconnect(packet, out);
      default:
        throw new ProtocolViolationError(`the server sent ${packetTypeNames[packet.type]}, which only clients send`);
    }
  }

  /**
   * CONNACK: a refusal ends the attempt. An acceptance records what the server
   * allows, adopts an Assigned Client Identifier [MQTT-3.2.2-16] and Server Keep
   * Alive [MQTT-3.2.2-21], then subscribes again and resends as the session
   * requires (Session Present, [MQTT-3.2.2-5] [MQTT-4.4.0-1]).
   */
  private onConnack(connack: ConnackPacket, out: Outbox): void {
    if (this.phaseValue !== 'connecting') throw new ProtocolViolationError('a second CONNACK on one connection [MQTT-3.2.0-2]');
    const refused = this.config.protocolVersion === 5 ? isFailureCode(connack.reasonCode) : connack.reasonCode !== 0;
    if (refused) {
      this.goOffline();
      out.event({ type: 'connect-refused', connack });
      return;
    }
    const props = connack.properties;
    const limits = readLimits(props, this.config.keepAlive);
    if (props?.assignedClientIdentifier) this.clientIdValue = props.assignedClientIdentifier;
    this.limitsValue = limits;
    this.phaseValue = 'connected';
    this.everConnected = true;
    out.maximumPacketSize = limits.maximumPacketSize;
    this.keepAlive.start(limits.keepAlive, this.now());
    this.incoming.onConnected(connack.sessionPresent);
    this.application?.onConnected();
    out.event({ type: 'connected', connack, limits, clientId: this.clientIdValue });
    this.subscriptions.onConnected(connack.sessionPresent, this.config.resubscribe ?? true, out);
    if (!this.application) this.outgoing.onConnected(limits, connack.sessionPresent, this.config.resendOnSessionLoss ?? true, out);
  }

  private onServerDisconnect(packet: DisconnectPacket, out: Outbox): void {
    this.goOffline();
    out.event({ type: 'server-disconnect', packet });
    const reasonCode = packet.reasonCode ?? 0;
    const error = isFailureCode(reasonCode)
      ? new ReasonCodeError('DISCONNECT', reasonCode, packet.properties)
      : new MqttClientError('SERVER_DISCONNECT', 'the server closed the connection');
    out.event({ type: 'close', error });
  }

  /** AUTH only answers an Authentication Method the client sent [MQTT-4.12.0-6]. */
  private onAuth(packet: AuthPacket, out: Outbox): void {
    if (!this.config.properties?.authenticationMethod) {
      throw new ProtocolViolationError('AUTH from the server without an authentication method in CONNECT [MQTT-4.12.0-6]');
    }
    out.event({ type: 'auth', packet });
  }

  private protocolFailure(error: MqttProtocolError, out: Outbox): void {
    if (this.config.protocolVersion === 5 && this.phaseValue === 'connected') {
      out.packet({ type: PacketType.DISCONNECT, reasonCode: error.reasonCode, properties: { reasonString: error.message } });
    }
    this.goOffline();
    out.event({ type: 'close', error: new MqttClientError('PROTOCOL_ERROR', `protocol error from the server: ${error.describe()}`) });
  }

  private goOffline(): void {
    this.phaseValue = 'offline';
    this.keepAlive.stop();
    this.outgoing.onConnectionLost();
    this.subscriptions.onConnectionLost();
  }

  private outbox(): Outbox {
    return new Outbox(this.config.protocolVersion, this.limitsValue?.maximumPacketSize, () => this.keepAlive.sent(this.now()));
  }

  private connectPacket(): ConnectPacket {
    const c = this.config;
    const packet: ConnectPacket = {
      type: PacketType.CONNECT,
      protocolName: protocolNameFor[c.protocolVersion],
      protocolVersion: c.protocolVersion,
      clean: this.everConnected ? this.cleanOnReconnect() : c.clean,
      keepAlive: c.keepAlive,
      clientId: this.clientIdValue,
    };
    if (c.bridge) packet.bridge = true;
    if (c.will) packet.will = c.will;
    if (c.username !== undefined) packet.username = c.username;
    if (c.password !== undefined) packet.password = c.password;
    if (c.properties && c.protocolVersion === 5) packet.properties = c.properties;
    return packet;
  }

  /**
   * A v5 session meant to outlive the connection (Session Expiry Interval above 0)
   * is resumed on reconnect even if the first connection started clean; otherwise
   * the configured flag applies every time.
   */
  private cleanOnReconnect(): boolean {
    if (this.config.protocolVersion === 5 && (this.config.properties?.sessionExpiryInterval ?? 0) > 0) return false;
    return this.config.clean;
  }

  private checkPublish(request: PublishRequest): void {
    checkQoS(request.qos);
    // The codec cannot frame a body above the largest remaining length (section 2.1.4).
    if (request.payload.length > MAX_REMAINING_LENGTH - 65_546) {
      throw new MqttClientError('INVALID_ARGUMENT', `a payload of ${request.payload.length} bytes does not fit in an MQTT packet`);
    }
    const alias = request.properties?.topicAlias;
    if (request.topic.length === 0 && alias !== undefined && this.config.protocolVersion === 5) return;
    const problem = topicNameProblem(request.topic) ?? lengthProblem(request.topic);
    if (problem) throw new MqttClientError('INVALID_TOPIC', `invalid topic name '${request.topic}': ${problem}`);
    if (request.properties?.subscriptionIdentifiers) {
      throw new MqttClientError('INVALID_ARGUMENT', 'a PUBLISH from a client must not carry a subscription identifier [MQTT-3.3.4-6]');
    }
  }
}

/** Topic names and filters encode to at most 65,535 bytes [MQTT-4.7.3-3]. */
function lengthProblem(topic: string): string | undefined {
  const bytes = Buffer.byteLength(topic);
  return bytes > 0xffff ? `${bytes} bytes, more than 65,535 [MQTT-4.7.3-3]` : undefined;
}

function checkQoS(qos: number): asserts qos is QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new MqttClientError('INVALID_ARGUMENT', `QoS must be 0, 1 or 2, not ${qos}`);
}

/** The server's limits from CONNACK properties, with the defaults of MQTT 5.0 section 3.2.2.3. */
function readLimits(props: Properties | undefined, clientKeepAlive: number): ServerLimits {
  const limits: ServerLimits = {
    receiveMaximum: props?.receiveMaximum ?? 65_535,
    maximumQoS: (props?.maximumQoS ?? 2) as QoS,
    retainAvailable: (props?.retainAvailable ?? 1) === 1,
    topicAliasMaximum: props?.topicAliasMaximum ?? 0,
    wildcardSubscriptionAvailable: (props?.wildcardSubscriptionAvailable ?? 1) === 1,
    subscriptionIdentifiersAvailable: (props?.subscriptionIdentifiersAvailable ?? 1) === 1,
    sharedSubscriptionAvailable: (props?.sharedSubscriptionAvailable ?? 1) === 1,
    keepAlive: props?.serverKeepAlive ?? clientKeepAlive,
  };
  if (props?.maximumPacketSize !== undefined) limits.maximumPacketSize = props.maximumPacketSize;
  return limits;
}
