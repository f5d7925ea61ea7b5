import { whenDurable } from '../../broker/commit-gate.js';
import { createMessage, type BrokerMessage, type ConnectionInfo, type FlowSource, type Publisher, type PublishRefusal } from '../../broker/index.js';
import { ReasonCode, topicNameProblem, type QoS } from '../../protocol/index.js';
import {
  SnMsgType, SnReturnCode, type SnPublishMessage, type SnPublishTopic, type SnReturnCodeValue,
} from '../protocol/index.js';
import type { PendingQos1, SnClientLink } from './client-link.js';
import type { SnGatewayContext } from './context.js';
import type { SnTopicTable } from './topic-table.js';

/** The two octets of the TopicId field, for the PUBACK that answers a PUBLISH [MQTT-SN-1.2 5.4.13]. */
export function wireTopicId(topic: SnPublishTopic): number {
  if (topic.topicIdType !== 'short') return topic.topicId;
  const bytes = Buffer.from(topic.topicName, 'utf8');
  return (bytes[0]! << 8) | bytes[1]!;
}

/**
 * The topic name a PUBLISH addresses, or undefined when the id is not known: a normal id
 * from the client's table [MQTT-SN-1.2 6.5], a predefined id [MQTT-SN-1.2 6.7], or a short
 * topic name, which must be a valid topic name (no wildcards).
 */
export function resolveInboundTopic(ctx: SnGatewayContext, table: SnTopicTable | undefined, topic: SnPublishTopic): string | undefined {
  switch (topic.topicIdType) {
    case 'normal': return table?.topicOf(topic.topicId);
    case 'predefined': return ctx.options.predefinedTopics.get(topic.topicId);
    case 'short': return topicNameProblem(topic.topicName) === undefined ? topic.topicName : undefined;
  }
}

/** The return code of the PUBACK that refuses a PUBLISH, by why the broker refused it [MQTT-SN-1.2 5.3.10]. */
const refusalCodes: Readonly<Record<PublishRefusal, SnReturnCodeValue>> = {
  'qos-not-supported': SnReturnCode.REJECTED_NOT_SUPPORTED,
  'retain-not-supported': SnReturnCode.REJECTED_NOT_SUPPORTED,
  'topic-too-deep': SnReturnCode.REJECTED_INVALID_TOPIC_ID,
  // A limit, not a fault of the message's form: "congestion" says so.
  'payload-too-large': SnReturnCode.REJECTED_CONGESTION,
  'payload-not-utf8': SnReturnCode.REJECTED_NOT_SUPPORTED,
  // MQTT-SN has no "not authorized": "not supported" says no.
  'not-authorized': SnReturnCode.REJECTED_NOT_SUPPORTED,
  // The cluster is out of reach for now: try again later.
  'cluster-unavailable': SnReturnCode.REJECTED_CONGESTION,
};

/**
 * The broker's verdict on a PUBLISH before it routes it (`PublishAdmission`): accepted,
 * or the ReturnCode of the PUBACK. Clients never publish to $SYS and ACLs apply as to
 * MQTT clients.
 */
export function publishRefusal(
  ctx: SnGatewayContext, publisher: Publisher, topic: string, qos: QoS, retain: boolean, payload: Buffer,
): SnReturnCodeValue | undefined {
  const verdict = ctx.broker.admission.check(topic, qos, retain, payload, publisher);
  return verdict.accepted ? undefined : refusalCodes[verdict.refusal];
}

/**
 * Hands a message to the broker; QoS -1 travels on as QoS 0 [MQTT-SN-1.2 6.8]. A
 * connected client is the `publisher` that flow control pauses while a subscriber
 * its messages wait for is backlogged.
 */
export function route(
  ctx: SnGatewayContext, info: ConnectionInfo, origin: string | undefined, topic: string, m: SnPublishMessage, publisher?: FlowSource,
): BrokerMessage {
  const qos: QoS = m.qos === -1 ? 0 : m.qos;
  const stats = ctx.broker.stats;
  stats.publishReceived++;
  stats.publishReceivedByQos[qos]!++;
  stats.publishBytesReceivedByQos[qos]! += m.data.length;
  const message = createMessage({
    topic, payload: m.data, qos, retain: m.retain, properties: undefined, createdAt: Date.now(), expiresAt: undefined, origin,
  });
  ctx.broker.publish(message, info, publisher);
  return message;
}

/** PUBACK with a ReturnCode, for a rejected PUBLISH at any QoS or an accepted QoS 1 one [MQTT-SN-1.2 5.4.13]. */
function puback(link: SnClientLink, m: SnPublishMessage, returnCode: SnReturnCodeValue): void {
  link.send({ type: SnMsgType.PUBACK, topicId: wireTopicId(m.topic), msgId: m.msgId, returnCode });
}

/**
 * The answer to a QoS 1/2 PUBLISH, refusals and repeats included, goes out when the broker
 * says it is safe, as for MQTT clients (`PublishAdmission.whenSafe`): in a cluster once
 * what was routed to other nodes so far has been handed over, and once the store holds on
 * disk what it holds so far. So no acknowledgement claims more than is kept, and they keep
 * the order of the messages they answer. A message the cluster could not route after all
 * is refused with "rejected: congestion" instead of `answer`.
 */
function acknowledge(
  link: SnClientLink, m: SnPublishMessage, answer: () => void, message?: BrokerMessage, settled?: (code: SnReturnCodeValue) => void,
): void | Promise<void> {
  if (m.qos <= 0) return answer();
  return link.ctx.broker.admission.whenSafe(message, link, (routed) => {
    settled?.(routed ? SnReturnCode.ACCEPTED : refusalCodes['cluster-unavailable']);
    if (!link.open) return;
    if (routed) return answer();
    // Not routed after all: refused, so a QoS 2 id is free again.
    if (m.qos === 2) link.session?.releaseInbound(m.msgId);
    puback(link, m, refusalCodes['cluster-unavailable']);
  }, (err: unknown) => {
    settled?.(refusalCodes['cluster-unavailable']);
    link.ctx.broker.reportError(err, 'store commit');
    link.close(ReasonCode.UnspecifiedError, 'the message could not be stored');
  });
}

/**
 * A QoS 1 message routed and not yet acknowledged: its MsgId stays with the link until
 * the PUBACK goes, so that the client's resend (DUP set, same MsgId, after Tretry
 * [MQTT-SN-1.2 6.13]) is recognised and not routed again. The resend gets the PUBACK
 * the first gets, after it; once acknowledged, the MsgId may carry a new message.
 */
function acknowledgeQos1(link: SnClientLink, m: SnPublishMessage, message: BrokerMessage): void | Promise<void> {
  const pending: PendingQos1 = { returnCode: SnReturnCode.ACCEPTED };
  link.unackedQos1.set(m.msgId, pending);
  return acknowledge(link, m, () => puback(link, m, SnReturnCode.ACCEPTED), message, (code) => {
    pending.returnCode = code;
    if (link.unackedQos1.get(m.msgId) === pending) link.unackedQos1.delete(m.msgId);
  });
}

/** A resend of a QoS 1 message still being acknowledged: answered as the first is, after it. */
function acknowledgeResend(link: SnClientLink, m: SnPublishMessage, pending: PendingQos1): void | Promise<void> {
  return acknowledge(link, m, () => puback(link, m, pending.returnCode));
}

/**
 * PUBLISH from a connected client [MQTT-SN-1.2 6.6]: an unknown topic id is answered
 * with PUBACK "rejected: invalid topic ID" whatever the QoS [MQTT-SN-1.2 6.6, 6.7]. QoS 1
 * is answered PUBACK, QoS 2 PUBREC; a QoS 2 message sent again before PUBREL is not
 * routed twice.
 */
export function handlePublish(link: SnClientLink, m: SnPublishMessage): void | Promise<void> {
  const { ctx } = link;
  const session = link.session!;
  const topic = resolveInboundTopic(ctx, link.table, m.topic);
  if (topic === undefined) return acknowledge(link, m, () => puback(link, m, SnReturnCode.REJECTED_INVALID_TOPIC_ID));
  const pubrec = () => link.send({ type: SnMsgType.PUBREC, msgId: m.msgId });
  if (m.qos === 2 && session.inboundQos2.has(m.msgId)) return acknowledge(link, m, pubrec);
  const pending = m.qos === 1 ? link.unackedQos1.get(m.msgId) : undefined;
  if (pending) return acknowledgeResend(link, m, pending);
  const qos: QoS = m.qos === -1 ? 0 : m.qos;
  const refusal = publishRefusal(ctx, link, topic, qos, m.retain, m.data);
  if (refusal !== undefined) return acknowledge(link, m, () => puback(link, m, refusal));
  if (qos === 0 && link.inputPaused) {
    // UDP cannot be paused per client: a QoS 0 message that comes while the client is held
    // back is refused with "rejected: congestion", and the client waits before it sends
    // again [MQTT-SN-1.2 6.6].
    ctx.broker.stats.countDrop('publisher-congested');
    return puback(link, m, SnReturnCode.REJECTED_CONGESTION);
  }
  if (m.qos === 2) session.addInbound(m.msgId);
  const message = route(ctx, link.info, session.clientId, topic, m, link);
  if (qos === 0) return;
  return m.qos === 2 ? acknowledge(link, m, pubrec, message) : acknowledgeQos1(link, m, message);
}

/**
 * PUBREL for an inbound QoS 2 message: forget its id and answer PUBCOMP [MQTT-SN-1.2 6.6],
 * once the release is on disk for a persistent session.
 */
export function handlePubrel(link: SnClientLink, msgId: number): void | Promise<void> {
  const session = link.session!;
  session.releaseInbound(msgId);
  const store = session.durable ? link.ctx.broker.store : undefined;
  return whenDurable(store, () => {
    if (link.open) link.send({ type: SnMsgType.PUBCOMP, msgId });
  }, (err: unknown) => {
    link.ctx.broker.reportError(err, 'store commit');
    link.close(ReasonCode.UnspecifiedError, 'the release could not be stored');
  });
}
