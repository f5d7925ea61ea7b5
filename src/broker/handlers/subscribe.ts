import {
  parseSharedFilter, ReasonCode, SubackReturnCode, PacketType, topicFilterProblem, type QoS, type SubscribePacket, type Subscription,
} from '../../protocol/index.js';
import { whenDurable } from '../commit-gate.js';
import { exceedsTopicLevels } from '../limits.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { HandlerContext } from './context.js';
import { subscriptionEntry, type SubscriptionEntry } from '../router/types.js';
import type { Session } from '../session.js';

/**
 * SUBSCRIBE: each filter is checked, authorized and added (replacing an existing
 * subscription to the same filter [MQTT-3.8.4-3]); the SUBACK has one code per
 * filter (v5 [MQTT-3.8.4-6], 3.1.1 [MQTT-3.8.4-5]) in order [MQTT-3.9.3-1]; retained messages follow it, as Retain Handling asks.
 */
export function handleSubscribe(ctx: HandlerContext, conn: MqttConnection, packet: SubscribePacket): void | Promise<void> {
  const session = conn.session!;
  const subscriptionId = packet.properties?.subscriptionIdentifiers?.[0];
  const added: Array<{ entry: SubscriptionEntry<Session>; isNew: boolean }> = [];
  const reasonCodes = packet.subscriptions.map((sub) => {
    const refusal = checkSubscription(ctx, conn, sub);
    if (refusal !== undefined) return conn.protocolVersion === 5 ? refusal : SubackReturnCode.Failure;
    const granted = Math.min(sub.qos, ctx.limits.maxQos) as QoS;
    // A 3.1/3.1.1 bridge (mosquitto's bridge bit) cannot ask for these options, and needs
    // them as mosquitto gives them: nothing echoed back to it, retained flags kept.
    const bridged = conn.bridge && conn.protocolVersion < 5 && !parseSharedFilter(sub.topicFilter);
    const entry = subscriptionEntry(session, sub.topicFilter, {
      qos: granted, noLocal: bridged || (sub.noLocal ?? false), retainAsPublished: bridged || (sub.retainAsPublished ?? false),
      retainHandling: sub.retainHandling ?? 0, subscriptionId,
    });
    const replaced = ctx.pubsub.subscribe(session, entry);
    added.push({ entry, isNew: !replaced });
    return granted;
  });
  // A persistent session's SUBACK waits for the subscription to be on disk: the
  // client will not subscribe again, and a crash must not forget what it was granted.
  return whenDurable(session.durable ? ctx.store : undefined, () => {
    conn.send({ type: PacketType.SUBACK, packetId: packet.packetId, reasonCodes });
    for (const { entry, isNew } of added) ctx.pubsub.sendRetained(session, entry, isNew);
  }, (err: unknown) => {
    ctx.reportError(err, 'store commit');
    conn.close(ReasonCode.UnspecifiedError, 'the subscription could not be stored');
  });
}

/** A v5 reason code when the subscription cannot be granted, undefined when it can. */
function checkSubscription(ctx: HandlerContext, conn: MqttConnection, sub: Subscription): number | undefined {
  if (topicFilterProblem(sub.topicFilter) !== undefined) return ReasonCode.TopicFilterInvalid;
  if (exceedsTopicLevels(sub.topicFilter, ctx.limits)) return ReasonCode.TopicFilterInvalid;
  if (!ctx.access.canSubscribe(conn.principal, sub.topicFilter, sub.qos, conn.info)) {
    ctx.access.logDenied(conn.principal, 'subscribe', sub.topicFilter);
    return ReasonCode.NotAuthorized;
  }
  return undefined;
}
