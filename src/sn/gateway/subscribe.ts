import { exceedsTopicLevels, plainSubscription, subscriptionEntry, whenDurable } from '../../broker/index.js';
import { ReasonCode, SHARE_PREFIX, topicFilterProblem, topicNameProblem, type QoS } from '../../protocol/index.js';
import {
  SnMsgType, SnReturnCode, type SnRegisterMessage, type SnReturnCodeValue, type SnSubscribeMessage,
  type SnSubscribeTopic, type SnUnsubscribeMessage,
} from '../protocol/index.js';
import type { SnClientLink } from './client-link.js';

/**
 * REGISTER from a client [MQTT-SN-1.2 6.5]: the topic name gets an id in the client's
 * table (the same id when it has one), answered with REGACK. A topic name with wildcards
 * cannot be published to, so it is refused as an invalid topic; a full table is congestion.
 */
export function handleRegister(link: SnClientLink, m: SnRegisterMessage): void {
  const answer = (topicId: number, returnCode: SnReturnCodeValue): void => {
    link.send({ type: SnMsgType.REGACK, topicId, msgId: m.msgId, returnCode });
  };
  if (topicNameProblem(m.topicName) !== undefined) return answer(0, SnReturnCode.REJECTED_INVALID_TOPIC_ID);
  const topicId = link.table.assign(m.topicName);
  if (topicId === undefined) return answer(0, SnReturnCode.REJECTED_CONGESTION);
  answer(topicId, SnReturnCode.ACCEPTED);
}

/** The filter a SUBSCRIBE or UNSUBSCRIBE names, or undefined for an unknown predefined id. */
function filterOf(link: SnClientLink, topic: SnSubscribeTopic): string | undefined {
  if (topic.topicIdType === 'predefined') return link.ctx.options.predefinedTopics.get(topic.topicId);
  return topic.topicName;
}

/**
 * The TopicId of the SUBACK [MQTT-SN-1.2 5.4.16]: the predefined id; for a topic name
 * without wildcards the id the gateway will publish it with (assigned now); 0x0000 for
 * a wildcard filter (each matching topic is REGISTERed before its first PUBLISH
 * [MQTT-SN-1.2 6.10]) and for a short topic name, where it is not relevant.
 */
function subackTopicId(link: SnClientLink, topic: SnSubscribeTopic, filter: string): number | undefined {
  if (topic.topicIdType === 'predefined') return topic.topicId;
  if (topic.topicIdType === 'short') return 0;
  const plainName = topicNameProblem(filter) === undefined && !filter.startsWith(SHARE_PREFIX);
  return plainName ? link.table.assign(filter) : 0;
}

/**
 * SUBSCRIBE [MQTT-SN-1.2 6.9] with a topic name or filter, a predefined id or a short
 * name. Checked and authorized as for MQTT clients; granted at most the broker's
 * maximum QoS. Retained messages follow the SUBACK. Refusals: an unknown predefined id
 * or an invalid filter is "invalid topic ID", a denied one "not supported", a full
 * topic table "congestion".
 */
export function handleSubscribe(link: SnClientLink, m: SnSubscribeMessage): void | Promise<void> {
  const { ctx } = link;
  const broker = ctx.broker;
  const session = link.session!;
  const answer = (qos: QoS, topicId: number, returnCode: SnReturnCodeValue): void => {
    link.send({ type: SnMsgType.SUBACK, qos, topicId, msgId: m.msgId, returnCode });
  };
  const requestedId = m.topic.topicIdType === 'predefined' ? m.topic.topicId : 0;
  const filter = filterOf(link, m.topic);
  const limits = broker.options.limits;
  if (filter === undefined || topicFilterProblem(filter) !== undefined || exceedsTopicLevels(filter, limits)) {
    return answer(0, requestedId, SnReturnCode.REJECTED_INVALID_TOPIC_ID);
  }
  if (!broker.access.canSubscribe(link.principal, filter, m.qos, link.info)) {
    broker.access.logDenied(link.principal, 'subscribe', filter);
    return answer(0, requestedId, SnReturnCode.REJECTED_NOT_SUPPORTED);
  }
  const topicId = subackTopicId(link, m.topic, filter);
  if (topicId === undefined) return answer(0, 0, SnReturnCode.REJECTED_CONGESTION);
  const granted = Math.min(m.qos, limits.maxQos) as QoS;
  const entry = subscriptionEntry(session, filter, plainSubscription(granted));
  const replaced = broker.subscribe(session, entry);
  // A persistent session's SUBACK waits for the subscription to be on disk, as for MQTT clients.
  return whenDurable(session.durable ? broker.store : undefined, () => {
    if (!link.open) return;
    answer(granted, topicId, SnReturnCode.ACCEPTED);
    broker.sendRetained(session, entry, !replaced);
  }, (err: unknown) => {
    broker.reportError(err, 'store commit');
    link.close(ReasonCode.UnspecifiedError, 'the subscription could not be stored');
  });
}

/** UNSUBSCRIBE [MQTT-SN-1.2 6.9]: removes the subscription if there is one; UNSUBACK always follows. */
export function handleUnsubscribe(link: SnClientLink, m: SnUnsubscribeMessage): void {
  const filter = filterOf(link, m.topic);
  if (filter !== undefined) link.ctx.broker.unsubscribe(link.session!, filter);
  link.send({ type: SnMsgType.UNSUBACK, msgId: m.msgId });
}
