import { isFailureCode, ReasonCode, MqttProtocolError, PacketType, type PublishPacket } from '../../protocol/index.js';
import { CLUSTER_UNAVAILABLE, type PublishRefusal, type Refused } from '../admission.js';
import { messageFromPublish, type BrokerMessage } from '../message.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { BrokerStats } from '../stats.js';
import type { HandlerContext } from './context.js';

/**
 * PUBLISH from a client: resolve any topic alias, ask admission (what the broker supports,
 * then whether it takes the message), route, then acknowledge when safe. QoS 2 ids are
 * remembered until PUBREL so that a resent PUBLISH is not routed twice (3.1.1
 * [MQTT-4.3.3-2], v5 [MQTT-4.3.3-10]). When the message reached the store, the
 * PUBACK/PUBREC waits for its commit: an acknowledged message is never lost.
 */
export function handlePublish(ctx: HandlerContext, conn: MqttConnection, packet: PublishPacket): void | Promise<void> {
  countReceived(ctx.stats, packet);
  const topic = resolveTopic(ctx, conn, packet);
  const supported = ctx.admission.supported(topic, packet.qos, packet.retain);
  if (!supported.accepted) throw unsupported(supported);
  const session = conn.session!;
  if (packet.qos === 2 && !session.addInbound(packet.packetId!)) {
    return acknowledge(ctx, conn, packet, ReasonCode.Success, '');
  }
  if (packet.qos > 0) countInbound(ctx, conn);
  const v5 = conn.protocolVersion === 5;
  const utf8 = v5 && packet.properties?.payloadFormatIndicator === 1;
  const verdict = ctx.admission.admit(topic, packet.qos, packet.retain, packet.payload, utf8, conn);
  if (!verdict.accepted) return refuse(ctx, conn, packet, verdict);
  const message = messageFromPublish(packet, topic, session.clientId, Date.now());
  const deliveries = ctx.pubsub.publish(message, conn.info, conn);
  const reason = deliveries === 0 && v5 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
  return acknowledge(ctx, conn, packet, reason, '', message);
}

function countReceived(stats: BrokerStats, packet: PublishPacket): void {
  stats.publishReceived++;
  stats.publishReceivedByQos[packet.qos]!++;
  stats.publishBytesReceivedByQos[packet.qos]! += packet.payload.length;
}

/** What the broker does not support at all closes the connection, with the v5 reason code. */
function unsupported(verdict: Refused): MqttProtocolError {
  switch (verdict.refusal) {
    case 'qos-not-supported': return new MqttProtocolError(ReasonCode.QoSNotSupported, `${verdict.reason} [MQTT-3.2.2-11]`);
    case 'retain-not-supported': return new MqttProtocolError(ReasonCode.RetainNotSupported, `${verdict.reason} [MQTT-3.2.2-14]`);
    default: return new MqttProtocolError(ReasonCode.TopicNameInvalid, verdict.reason);
  }
}

/** The v5 reason code of the PUBACK/PUBREC that refuses a message. */
const refusalCodes: Readonly<Record<PublishRefusal, number>> = {
  'qos-not-supported': ReasonCode.QoSNotSupported,
  'retain-not-supported': ReasonCode.RetainNotSupported,
  'topic-too-deep': ReasonCode.TopicNameInvalid,
  'payload-too-large': ReasonCode.QuotaExceeded,
  'payload-not-utf8': ReasonCode.PayloadFormatInvalid,
  'not-authorized': ReasonCode.NotAuthorized,
  'cluster-unavailable': ReasonCode.UnspecifiedError,
};

/**
 * A refused message: v5 is told why in the PUBACK/PUBREC. 3.1.1 has no way to say no, so
 * a message over the size limit or one the ACL denies is acknowledged and dropped, as
 * Mosquitto does, and one the cluster cannot route closes the connection (see
 * {@link sendUnroutable}). A QoS 0 message with a bad UTF-8 payload has no acknowledgement
 * to carry the refusal: the connection closes.
 */
function refuse(ctx: HandlerContext, conn: MqttConnection, packet: PublishPacket, verdict: Refused): void | Promise<void> {
  if (verdict.refusal === 'payload-not-utf8' && packet.qos === 0) {
    throw new MqttProtocolError(ReasonCode.PayloadFormatInvalid, verdict.reason);
  }
  if (verdict.refusal === 'cluster-unavailable') {
    forgetRefused(conn, packet);
    return acknowledge(ctx, conn, packet, ReasonCode.UnspecifiedError, verdict.reason, undefined, false);
  }
  const code = conn.protocolVersion === 5 ? refusalCodes[verdict.refusal] : ReasonCode.Success;
  if (isFailureCode(code)) forgetRefused(conn, packet);
  return acknowledge(ctx, conn, packet, code, verdict.reason);
}

/** v5 topic aliases: set on a PUBLISH with a topic, used on one without [MQTT-3.3.2-12]. */
function resolveTopic(ctx: HandlerContext, conn: MqttConnection, packet: PublishPacket): string {
  const alias = packet.properties?.topicAlias;
  if (alias === undefined) return packet.topic;
  const max = ctx.limits.topicAliasMaximum;
  if (alias === 0 || alias > max) {
    throw new MqttProtocolError(ReasonCode.TopicAliasInvalid, `topic alias ${alias} is outside 1..${max} [MQTT-3.3.2-8] [MQTT-3.3.2-9]`);
  }
  if (packet.topic.length > 0) {
    (conn.inboundAliases ??= new Map()).set(alias, packet.topic);
    return packet.topic;
  }
  const topic = conn.inboundAliases?.get(alias);
  if (topic === undefined) throw new MqttProtocolError(ReasonCode.ProtocolError, `topic alias ${alias} was never set`);
  return topic;
}

/** The client may not exceed the Receive Maximum we advertised [MQTT-3.3.4-7]. */
function countInbound(ctx: HandlerContext, conn: MqttConnection): void {
  conn.unackedInbound++;
  if (conn.protocolVersion === 5 && conn.unackedInbound > ctx.limits.maxInflightMessages) {
    throw new MqttProtocolError(ReasonCode.ReceiveMaximumExceeded, 'receive maximum exceeded [MQTT-3.3.4-7]');
  }
}

/**
 * Every PUBACK/PUBREC, refusals and repeats included, goes out when admission says it is
 * safe (`PublishAdmission.whenSafe`): in a cluster once what was routed to other nodes
 * so far has been handed over, and once the store holds on disk what it holds so far, so
 * none claims more than is kept, and they keep the order of the PUBLISH packets they
 * answer; and, when the message found the queue of a subscriber that reads full, once it has
 * room again (flow control). `routable` false: the message is refused as one the cluster cannot route.
 */
function acknowledge(
  ctx: HandlerContext, conn: MqttConnection, packet: PublishPacket, reasonCode: number, reason: string, message?: BrokerMessage, routable = true,
): void | Promise<void> {
  if (packet.qos === 0) return;
  return ctx.admission.whenSafe(message, conn, (routed) => {
    if (routed && routable) return sendAck(conn, packet, reasonCode, reason);
    if (message) forgetRefused(conn, packet);
    sendUnroutable(conn, packet);
  }, (err: unknown) => {
    ctx.reportError(err, 'store commit');
    conn.close(ReasonCode.UnspecifiedError, 'the message could not be stored');
  });
}

/**
 * A QoS 2 message the broker refused (v5) or could not route was never taken
 * [MQTT-4.3.3-2] [MQTT-4.3.3-10]: its packet id is forgotten at once, whether or not the
 * refusal reaches the client, so that the client's resend (with DUP after a reconnect,
 * [MQTT-4.4.0-1]) is handled as the first send it is, not answered as a repeat of a
 * message nobody got.
 */
function forgetRefused(conn: MqttConnection, packet: PublishPacket): void {
  if (packet.qos === 2) conn.session?.releaseInbound(packet.packetId!);
}

/** 3.1.1 cannot refuse a PUBLISH: the connection closes instead of acknowledging a loss; v5 is told. */
function sendUnroutable(conn: MqttConnection, packet: PublishPacket): void {
  if (conn.state !== 'open') return;
  if (conn.protocolVersion !== 5) return conn.close(ReasonCode.UnspecifiedError, CLUSTER_UNAVAILABLE);
  sendAck(conn, packet, ReasonCode.UnspecifiedError, CLUSTER_UNAVAILABLE);
}

/** PUBACK for QoS 1, PUBREC for QoS 2. */
function sendAck(conn: MqttConnection, packet: PublishPacket, reasonCode: number, reason: string): void {
  if (conn.state !== 'open') return;
  const properties = conn.problem(reasonCode, reason);
  if (packet.qos === 1) {
    if (conn.unackedInbound > 0) conn.unackedInbound--;
    // Success needs no packet object: a device's PUBACK, the packet the broker sends most (issue 19).
    if (reasonCode === ReasonCode.Success) return conn.sendShortAck(PacketType.PUBACK, packet.packetId!);
    conn.send({ type: PacketType.PUBACK, packetId: packet.packetId!, reasonCode, properties });
  } else if (packet.qos === 2) {
    // A PUBREC with a failure reason code ends the QoS 2 flow: the id is free again.
    if (isFailureCode(reasonCode)) {
      conn.session!.releaseInbound(packet.packetId!);
      if (conn.unackedInbound > 0) conn.unackedInbound--;
    }
    conn.send({ type: PacketType.PUBREC, packetId: packet.packetId!, reasonCode, properties });
  }
}
