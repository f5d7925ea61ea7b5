import type { MqttClient } from '../client/index.js';
import type { Publisher, Refused } from '../broker/admission.js';
import type { FlowSource } from '../broker/flow-control.js';
import { whenDurable } from '../broker/commit-gate.js';
import { messageFromPublish, type BrokerMessage } from '../broker/message.js';
import type { Broker, Logger, Session } from '../broker/index.js';
import { isFailureCode, PacketType, ReasonCode, type PublishPacket, type PubrelPacket, type QoS } from '../protocol/index.js';
import type { BridgeStats } from './stats.js';
import type { TopicMap } from './topic-map.js';

/** What the incoming side of one remote connection works with. */
export interface IncomingContext {
  broker: Broker;
  session: Session;
  client: MqttClient;
  topics: TopicMap;
  stats: BridgeStats;
  /**
   * The bridge as a publisher: its local principal, and a connection info whose empty
   * security chain lets it publish whatever its topic lines bring in (no ACL); flow control
   * pauses reading from the remote.
   */
  publisher: Publisher & FlowSource;
  logger: Logger;
  name: string;
  /** The remote speaks MQTT 5: a refusal can be told in the acknowledgement. */
  v5: boolean;
  /** Ends the remote connection without acknowledging: the remote keeps the message and sends it again. */
  abandon(reason: string): void;
}

type AckType = typeof PacketType.PUBACK | typeof PacketType.PUBREC | typeof PacketType.PUBCOMP;

/** The v5 reason code that tells a v5 remote why a message was not taken. */
const refusalCodes: Readonly<Partial<Record<Refused['refusal'], number>>> = {
  'topic-too-deep': ReasonCode.TopicNameInvalid,
  'payload-too-large': ReasonCode.QuotaExceeded,
  'payload-not-utf8': ReasonCode.PayloadFormatInvalid,
  'not-authorized': ReasonCode.NotAuthorized,
};

/**
 * Messages from the remote broker (the `in` topics) enter through the broker's one publish
 * admission (`PublishAdmission`), as any client's do: published under the bridge's local
 * client id, the topic mapped by the topic lines, and acknowledged to the remote only once
 * admission says it is safe (routed in a cluster, room in the subscribers' queues, on disk)
 * [MQTT-4.3.2-4]. A QoS 2 packet id is kept in the local session until PUBREL, on disk, so a
 * PUBLISH the remote sends again after a crash here is recognised and not published twice
 * [MQTT-4.3.3-2].
 */
export class IncomingFlows {
  constructor(private readonly ctx: IncomingContext) {}

  onPublish(packet: PublishPacket): void {
    const { ctx } = this;
    ctx.stats.lastTrafficAt = Date.now();
    countReceived(ctx.broker, packet);
    if (packet.qos === 2 && !ctx.session.addInbound(packet.packetId!)) {
      this.acknowledge(packet, undefined, ReasonCode.Success);
      return;
    }
    const topic = ctx.topics.toLocal(packet.topic);
    // What a remote sends beyond the broker's QoS and RETAIN support is brought within it,
    // rather than refused: the bridge subscribed for it.
    const qos = Math.min(packet.qos, ctx.broker.options.limits.maxQos) as QoS;
    const retain = packet.retain && ctx.broker.options.retainAvailable;
    const admission = ctx.broker.admission;
    const utf8 = packet.properties?.payloadFormatIndicator === 1;
    const supported = admission.supported(topic, qos, retain);
    const verdict = supported.accepted ? admission.admit(topic, qos, retain, packet.payload, utf8, ctx.publisher) : supported;
    if (!verdict.accepted) return this.refused(packet, topic, verdict);
    const message = messageFromPublish({ ...packet, qos, retain }, topic, ctx.session.clientId, Date.now());
    ctx.stats.messagesReceived++;
    ctx.broker.publish(message, ctx.publisher.info, ctx.publisher);
    this.acknowledge(packet, message, ReasonCode.Success);
  }

  /** PUBREL: the packet id is free again once that is on disk; then PUBCOMP [MQTT-4.3.3-11]. */
  onPubrel(packet: PubrelPacket): void {
    const { ctx } = this;
    const known = ctx.session.releaseInbound(packet.packetId);
    const store = ctx.session.durable ? ctx.broker.store : undefined;
    void whenDurable(store, () => this.send(PacketType.PUBCOMP, packet.packetId, known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound),
      (err) => this.failed(err));
  }

  /**
   * Not taken: one the cluster cannot route is not acknowledged (the remote sends it again);
   * the rest is dropped, counted and logged, and acknowledged so the remote does not send it
   * for ever (a v5 remote learns why).
   */
  private refused(packet: PublishPacket, topic: string, verdict: Refused): void {
    const { ctx } = this;
    if (verdict.refusal === 'cluster-unavailable') return this.sendAgainLater(packet, verdict.reason);
    if (verdict.refusal !== 'payload-too-large') ctx.broker.stats.countDrop(verdict.refusal);
    ctx.stats.messagesDropped++;
    ctx.logger.warn({ bridge: ctx.name, topic, bytes: packet.payload.length, reason: verdict.reason }, 'message from the remote broker dropped');
    const code = ctx.v5 ? (refusalCodes[verdict.refusal] ?? ReasonCode.UnspecifiedError) : ReasonCode.Success;
    this.acknowledge(packet, undefined, code);
  }

  /** PUBACK or PUBREC when admission says it is safe; a message the cluster could not route after all is to be sent again. */
  private acknowledge(packet: PublishPacket, message: BrokerMessage | undefined, reasonCode: number): void {
    if (packet.qos === 0) return;
    const type = packet.qos === 1 ? PacketType.PUBACK : PacketType.PUBREC;
    void this.ctx.broker.admission.whenSafe(message, this.ctx.publisher, (routed) => {
      if (!routed) return this.sendAgainLater(packet, 'the cluster could not route a message from the remote broker');
      // A PUBREC with a failure code ends the QoS 2 flow: the remote may use the id for a new message [MQTT-4.4.0-2].
      if (packet.qos === 2 && isFailureCode(reasonCode)) this.ctx.session.releaseInbound(packet.packetId!);
      this.send(type, packet.packetId!, reasonCode);
    }, (err) => this.failed(err));
  }

  /**
   * Not taken and not acknowledged: the connection ends and the remote sends the message
   * again. A QoS 2 id is forgotten first, or the resent PUBLISH would pass for a repeat of
   * a message published here and be acknowledged without being published [MQTT-4.3.3-2].
   */
  private sendAgainLater(packet: PublishPacket, reason: string): void {
    if (packet.qos === 2) this.ctx.session.releaseInbound(packet.packetId!);
    this.ctx.abandon(reason);
  }

  private send(type: AckType, packetId: number, reasonCode: number): void {
    const { client } = this.ctx;
    if (!client.connected) return;
    client.sendFlow(reasonCode === ReasonCode.Success ? { type, packetId } : { type, packetId, reasonCode });
  }

  private failed(err: unknown): void {
    this.ctx.broker.reportError(err, `bridge ${this.ctx.name}: store commit`);
    this.ctx.abandon('the local store could not commit');
  }
}

function countReceived(broker: Broker, packet: PublishPacket): void {
  const stats = broker.stats;
  stats.publishReceived++;
  stats.publishReceivedByQos[packet.qos]!++;
  stats.publishBytesReceivedByQos[packet.qos]! += packet.payload.length;
}
