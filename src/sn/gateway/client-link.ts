import { whenDurable } from '../../broker/commit-gate.js';
import type {
  ClientEndpoint, ClientPrincipal, ConnectionInfo, OutgoingPublish, Session,
} from '../../broker/index.js';
import type { ProtocolVersion } from '../../protocol/index.js';
import {
  isSnShortTopicName, SnMsgType, type SnPlainMessage, type SnPublishTopic, type SnReturnCodeValue,
} from '../protocol/index.js';
import { SnAddressCheck } from './address-check.js';
import type { SnAddress, SnGatewayContext } from './context.js';
import { SnOutbound } from './outbound.js';
import { SnTopicTable } from './topic-table.js';
import { ReasonCode } from '../../protocol/index.js';

/**
 * Where a client is in its life [MQTT-SN-1.2 6.14, Figure 4], with the steps of the
 * connection setup [MQTT-SN-1.2 6.2] before `active`.
 */
export type SnClientState =
  | 'will-topic' | 'will-message' | 'authenticating'
  | 'active' | 'asleep' | 'awake' | 'closed';

/** What the CONNECT asked for, kept while the will is prompted for. */
export interface SnConnectRequest {
  clientId: string;
  cleanSession: boolean;
  willFlag: boolean;
  /** Keep alive, seconds [MQTT-SN-1.2 5.4.4]. */
  duration: number;
}

/** The answer a QoS 1 PUBLISH routed and not yet acknowledged will get, for its resends (see `publish.ts`). */
export interface PendingQos1 {
  returnCode: SnReturnCodeValue;
}

/** A PUBLISH header takes 7 octets, 9 in the three-octet Length form [MQTT-SN-1.2 5.2.1]. */
function publishSize(payload: number, forwarder: SnAddress['forwarder']): number {
  const body = 5 + payload;
  const message = body + 2 <= 255 ? body + 2 : body + 4;
  return forwarder === undefined ? message : message + 3 + forwarder.wirelessNodeId.length;
}

/**
 * One MQTT-SN client of the gateway, from its CONNECT to its end: the broker session's
 * link while connected (a {@link ClientEndpoint}), its topic id table, the queue of what
 * goes to it, and the keep alive and sleep supervision.
 */
export class SnClientLink implements ClientEndpoint {
  /** MQTT-SN sessions follow MQTT 3.1.1 semantics in the broker. */
  readonly protocolVersion: ProtocolVersion = 4;
  readonly encrypted = false;
  /** One QoS 1/2 message outstanding at a time [MQTT-SN-1.2 6.6]. */
  readonly receiveMaximum = 1;
  readonly info: ConnectionInfo;
  readonly openedAt = Date.now();
  readonly table: SnTopicTable;
  readonly outbound: SnOutbound;
  /** Whether the client's address is its own; until it is, nothing is pushed to it. */
  readonly addressCheck: SnAddressCheck;
  state: SnClientState = 'will-topic';
  principal: ClientPrincipal;
  session: Session | undefined;
  graceful = false;
  /** Pending will topic, between WILLTOPIC and WILLMSG. */
  pendingWill: { topic: string; qos: 0 | 1 | 2; retain: boolean } | undefined;
  /** A WILLMSGUPD that came while there was no will topic, for the next WILLTOPICUPD. */
  willMessageWithoutTopic: Buffer | undefined;
  /** Set once the broker knows this client (openEndpoint succeeded). */
  registered = false;
  /** Epoch ms after which the client counts as lost; undefined: not supervised. */
  deadline: number | undefined;
  /** Held back by flow control (see {@link pauseInput}). */
  inputPaused = false;
  /** QoS 1 MsgIds from the client routed and not yet acknowledged: a resend is not routed again [MQTT-SN-1.2 6.13]. */
  readonly unackedQos1 = new Map<number, PendingQos1>();
  private sleepSeconds = 0;
  /** Epoch ms by which the client must have answered the address check. */
  private proofDeadline = Number.POSITIVE_INFINITY;

  constructor(
    readonly ctx: SnGatewayContext,
    readonly address: SnAddress,
    readonly request: SnConnectRequest,
    /** Called once when the client is gone, so the gateway can forget it. */
    private readonly onEnd: (link: SnClientLink) => void,
  ) {
    this.principal = { clientId: request.clientId, username: undefined, listener: ctx.listener };
    this.info = {
      listener: ctx.listener, transport: 'mqttsn', remoteAddress: address.address, remotePort: address.port,
      encrypted: false, confidential: false, certificate: undefined, security: undefined,
    };
    this.table = new SnTopicTable(ctx.options.maxTopicIdsPerClient);
    this.outbound = new SnOutbound({
      table: this.table,
      resolveTopic: (topic) => this.resolveTopic(topic),
      send: (message) => this.send(message),
      completed: (packetId) => {
        const session = this.session;
        // Pumped in a microtask: this may run inside the session's own pump.
        if (session?.complete(packetId)) queueMicrotask(() => session.pump());
      },
      received: (packetId) => this.session?.received(packetId, false),
      lost: (reason) => this.lose(reason),
      idle: () => this.onIdle(),
    }, { tRetryMs: ctx.options.tRetry * 1000, nRetry: ctx.options.nRetry });
    const connectTimeoutMs = ctx.broker.options.limits.connectTimeout * 1000;
    this.addressCheck = new SnAddressCheck({
      send: (message) => this.transmit(message),
      // Sent a few times within the connect timeout, in case a datagram is lost.
      retryMs: Math.min(ctx.options.tRetry * 1000, connectTimeoutMs / 3),
      proven: () => this.onAddressProven(),
    });
    this.deadline = Date.now() + connectTimeoutMs;
  }

  get clientId(): string {
    return this.request.clientId;
  }

  get keepAliveMs(): number {
    return this.request.duration * 1000;
  }

  /** Connected as far as the broker is concerned: active, asleep or awake. */
  /**
   * FlowSource: a subscriber this client publishes to is backlogged. UDP cannot be
   * paused per client, so the gateway holds the client back itself: its QoS 1/2
   * acknowledgements wait and QoS 0 messages are refused with "rejected: congestion".
   */
  pauseInput(): () => void {
    this.inputPaused = true;
    return () => {
      this.inputPaused = false;
    };
  }

  get open(): boolean {
    return this.state === 'active' || this.state === 'asleep' || this.state === 'awake';
  }

  send(message: SnPlainMessage): boolean {
    return this.transmit(message) > 0;
  }

  /** Sends within what the address check allows; returns the bytes sent. */
  private transmit(message: SnPlainMessage): number {
    const bytes = this.ctx.send(this.address, message, this.addressCheck.allowance);
    this.addressCheck.sent(bytes);
    return bytes;
  }

  /** A datagram of `size` bytes arrived from the client. */
  received(size: number): void {
    this.addressCheck.received(size);
  }

  /** True once the client answered the address check. */
  get addressProven(): boolean {
    return this.addressCheck.proven;
  }

  /**
   * A datagram arrived from the client: it is alive [MQTT-SN-1.2 6.14]. A client whose
   * address is not proven yet is kept no longer than the check allows, asleep or not.
   */
  heard(now: number): void {
    if (!this.open) return;
    const seconds = this.state === 'asleep' || this.state === 'awake' ? this.sleepSeconds : this.request.duration;
    const deadline = seconds === 0 ? Number.POSITIVE_INFINITY : now + seconds * 1000 * this.ctx.options.keepAliveTolerance;
    const due = this.addressCheck.proven ? deadline : Math.min(deadline, this.proofDeadline);
    this.deadline = due === Number.POSITIVE_INFINITY ? undefined : due;
  }

  /**
   * The CONNACK is sent: the client is active [MQTT-SN-1.2 6.2]. The address check
   * starts; what the session has for the client waits for its answer.
   */
  opened(): void {
    this.state = 'active';
    const now = Date.now();
    this.proofDeadline = now + this.ctx.broker.options.limits.connectTimeout * 1000;
    this.heard(now);
    this.addressCheck.start();
    if (this.addressCheck.proven) this.outbound.resume();
  }

  /** The client answered the address check: its deliveries may go. */
  private onAddressProven(): void {
    this.heard(Date.now());
    if (this.state === 'active' || this.state === 'awake') this.outbound.resume();
  }

  /** Asleep, it takes nothing until it wakes: publishers do not wait for it [MQTT-SN-1.2 6.14]. */
  drains(): boolean {
    return this.state !== 'asleep';
  }

  writable(): boolean {
    return this.open && this.outbound.length < this.ctx.options.maxBufferedPerSleepingClient;
  }

  /**
   * Queues a PUBLISH for the client. One that would exceed the maximum message size is
   * refused, and the session treats it as delivered (as for an MQTT client's maximum).
   */
  sendPublish(publish: OutgoingPublish): boolean {
    if (!this.open) return true;
    if (publishSize(publish.message.payload.length, this.address.forwarder) > this.ctx.options.maxMessageSize) return false;
    const stats = this.ctx.broker.stats;
    stats.publishSent++;
    stats.publishSentByQos[publish.qos]!++;
    stats.publishBytesSentByQos[publish.qos]! += publish.message.payload.length;
    this.outbound.push({ kind: 'publish', publish, rejections: 0 });
    return true;
  }

  sendPubrel(packetId: number): void {
    if (this.open) this.outbound.pushFront({ kind: 'pubrel', msgId: packetId });
  }

  /**
   * The broker ends the client (session taken over, shutdown): it is told with a
   * DISCONNECT, which a client takes as a request to connect again [MQTT-SN-1.2 6.12].
   * The broker hears of it in a later microtask, as it would from a socket.
   */
  close(reasonCode: number, reason: string): void {
    if (this.state === 'closed') return;
    this.send({ type: SnMsgType.DISCONNECT });
    this.finish();
    queueMicrotask(() => this.report(reasonCode, reason));
  }

  /** Ends the client for a reason of the gateway's; `graceful` drops the will [MQTT-SN-1.2 6.12]. */
  end(reasonCode: number, reason: string, graceful: boolean): void {
    if (this.state === 'closed') return;
    this.graceful = graceful;
    this.finish();
    this.report(reasonCode, reason);
  }

  /** Keep alive, sleep or retransmissions ran out: the will goes out [MQTT-SN-1.2 6.14]. */
  lose(reason: string): void {
    this.ctx.logger.debug({ clientId: this.clientId, reason }, 'MQTT-SN client lost');
    this.end(ReasonCode.KeepAliveTimeout, reason, false);
  }

  /** DISCONNECT with a duration: asleep, messages are buffered [MQTT-SN-1.2 6.14]. */
  sleep(seconds: number): void {
    this.sleepSeconds = seconds;
    this.state = 'asleep';
    this.outbound.pause();
    this.heard(Date.now());
  }

  /** PINGREQ with the client id: send what was buffered, then PINGRESP [MQTT-SN-1.2 6.14]. */
  wake(): void {
    this.state = 'awake';
    this.heard(Date.now());
    if (this.addressCheck.proven) this.outbound.resume();
  }

  /**
   * How to name a topic to this client without a REGISTER [MQTT-SN-1.2 6.7]: an id it
   * knows, a predefined id, or a two-octet short name; undefined means REGISTER first.
   */
  resolveTopic(topic: string): SnPublishTopic | undefined {
    const id = this.table.sendableId(topic);
    if (id !== undefined) return { topicIdType: 'normal', topicId: id };
    const predefined = this.ctx.predefinedIds.get(topic);
    if (predefined !== undefined) return { topicIdType: 'predefined', topicId: predefined };
    if (isSnShortTopicName(topic)) return { topicIdType: 'short', topicName: topic };
    return undefined;
  }

  /** The queue ran dry: take more from the session; an awake client goes back to sleep. */
  private onIdle(): void {
    const session = this.session;
    session?.pump();
    if (this.state !== 'awake' || !this.outbound.isIdle) return;
    // A persistent session's deliveries leave once their state is on disk; waiting for
    // the same commit puts the PINGRESP after them.
    void whenDurable(session?.durable ? this.ctx.broker.store : undefined, () => {
      if (this.state !== 'awake' || !this.outbound.isIdle) return;
      this.send({ type: SnMsgType.PINGRESP });
      this.sleep(this.sleepSeconds);
    }, () => this.close(ReasonCode.UnspecifiedError, 'the delivery state could not be stored'));
  }

  private finish(): void {
    this.state = 'closed';
    this.deadline = undefined;
    this.addressCheck.stop();
    this.outbound.clear();
    this.onEnd(this);
  }

  private report(reasonCode: number, reason: string): void {
    if (this.registered) this.ctx.broker.connectionClosed(this, reasonCode, reason);
  }
}
