import { topicMatches, type QoS } from '../protocol/index.js';
import type { AccessControl } from './access-control.js';
import { RetainedFeed, type RetainedSource } from './retained-feed.js';
import type { BrokerMessage } from './message.js';
import type { TopicRouter } from './router/topic-router.js';
import type { Recipient, SharedGroup, SubscriptionEntry } from './router/types.js';
import type { Session } from './session.js';

/** What delivery asks of access control: may this link receive this topic (`AccessControl.canReceive`). */
export type ReceiveCheck = Pick<AccessControl, 'canReceive'>;

/**
 * Delivers a message to every subscription its topic matches: each subscriber
 * once, at the highest QoS of its matching subscriptions, with all their
 * subscription identifiers [MQTT-3.3.4-2] [MQTT-3.3.4-3]; each shared group to
 * one member (section 4.8.2). This is the hot path: no allocation for the common
 * case of one subscription per subscriber.
 */
export function deliverToMatches(router: TopicRouter<Recipient>, access: ReceiveCheck, message: BrokerMessage): number {
  const result = router.match(message.topic);
  let count = 0;
  const matches = result.bySubscriber;
  for (let i = 0; i < matches.length; i++) {
    const { subscriber, entries } = matches[i]!;
    if (entries.length === 1 ? deliverOne(access, subscriber, entries[0]!, message) : deliverMerged(access, subscriber, entries, message)) {
      count++;
    }
  }
  const groups = result.groups;
  for (let i = 0; i < groups.length; i++) if (deliverToGroup(access, groups[i]!, message)) count++;
  return count;
}

/**
 * A message another node of a cluster routed to a local session. It is matched
 * again here against the session's own subscriptions, which are the truth (the
 * sender's copy of them may lag an UNSUBSCRIBE), then delivered as a local publish
 * would be: one copy at the highest QoS of the matching subscriptions. With
 * `shareGroup` the sender chose this session for that shared group. Returns false
 * when nothing of the session matches any more.
 */
export function deliverToSession(access: ReceiveCheck, session: Session, message: BrokerMessage, shareGroup: string | undefined): boolean {
  let matched: SubscriptionEntry<Recipient>[] | undefined;
  for (const entry of session.subscriptions.values()) {
    if (entry.shareGroup !== shareGroup || !topicMatches(entry.matchFilter, message.topic)) continue;
    // A shared group delivers through one subscription; a session has one per group and filter.
    if (shareGroup !== undefined) return deliverOne(access, session, entry, message);
    (matched ??= []).push(entry);
  }
  if (!matched) return false;
  return matched.length === 1 ? deliverOne(access, session, matched[0]!, message) : deliverMerged(access, session, matched, message);
}

/** One matching subscription: the common case. */
function deliverOne(
  access: ReceiveCheck, session: Recipient, entry: SubscriptionEntry<Recipient>, message: BrokerMessage, group?: SharedGroup<Recipient>,
): boolean {
  // No Local: never back to the publisher [MQTT-3.8.3-3].
  if (entry.noLocal && message.origin === session.clientId) return false;
  if (session.link && !access.canReceive(session.link, message.topic)) return false;
  const qos = (entry.qos < message.qos ? entry.qos : message.qos) as QoS;
  // RETAIN is cleared on normal delivery unless Retain As Published [MQTT-3.3.1-12] [MQTT-3.3.1-13].
  const retain = message.retain && entry.retainAsPublished;
  const ids = entry.subscriptionId === undefined ? undefined : [entry.subscriptionId];
  session.deliver(message, qos, retain, ids, group);
  return true;
}

/** Overlapping subscriptions of one client: one copy, highest QoS, every identifier. */
function deliverMerged(access: ReceiveCheck, session: Recipient, entries: readonly SubscriptionEntry<Recipient>[], message: BrokerMessage): boolean {
  let qos = -1;
  let retain = false;
  let ids: number[] | undefined;
  for (const entry of entries) {
    if (entry.noLocal && message.origin === session.clientId) continue;
    if (entry.qos > qos) qos = entry.qos;
    if (entry.retainAsPublished && message.retain) retain = true;
    if (entry.subscriptionId !== undefined) (ids ??= []).push(entry.subscriptionId);
  }
  if (qos < 0) return false;
  if (session.link && !access.canReceive(session.link, message.topic)) return false;
  session.deliver(message, Math.min(qos, message.qos) as QoS, retain, ids);
  return true;
}

/**
 * One member of a shared group gets the message, in turn; members that are
 * online and not congested come first, so a message is not parked with a member
 * that cannot take it while another can.
 */
function deliverToGroup(access: ReceiveCheck, group: SharedGroup<Recipient>, message: BrokerMessage): boolean {
  const chosen = (message.confidential ? chooseEncryptedMember(group) : undefined) ?? chooseMember(group, undefined);
  if (!chosen) return false;
  return deliverOne(access, chosen.subscriber, chosen, message, group);
}

/** For a confidential message: the next online member on an encrypted link, if any. */
function chooseEncryptedMember(group: SharedGroup<Recipient>): SubscriptionEntry<Recipient> | undefined {
  const members = group.members;
  for (let step = 1; step <= members.length; step++) {
    const at = (group.cursor + step) % members.length;
    const link = members[at]!.subscriber.link;
    if (link && link.encrypted && link.writable()) {
      group.cursor = at;
      return members[at];
    }
  }
  return undefined;
}

/**
 * The next member in turn that is online and writable, else the next in turn; never
 * `exclude`. A cluster's stand-in for a member connected on another node counts as
 * online, except when a leaving member's deliveries move (`exclude`): those stay on
 * this node.
 */
function chooseMember(group: SharedGroup<Recipient>, exclude: Session | undefined): SubscriptionEntry<Recipient> | undefined {
  const members = group.members;
  const n = members.length;
  for (let step = 1; step <= n; step++) {
    const at = (group.cursor + step) % n;
    const member = members[at]!;
    const link = member.subscriber.link;
    if (member.subscriber !== exclude && (link ? link.writable() : exclude === undefined && member.subscriber.remoteOnline === true)) {
      group.cursor = at;
      return member;
    }
  }
  if (exclude !== undefined) return undefined;
  // Nobody can take it now: queue it with the next member in turn (QoS 1/2 wait in its session).
  if (n === 0) return undefined;
  group.cursor = (group.cursor + 1) % n;
  return members[group.cursor];
}

/**
 * A member left: its unacknowledged shared deliveries go to other online members
 * of their groups (section 4.8.2); those with no other member online stay.
 */
export function redistributeShared(access: ReceiveCheck, session: Session): void {
  const hasOther = (group: SharedGroup<Recipient>) => group.members.some((m) => m.subscriber !== session && m.subscriber.link !== undefined);
  for (const delivery of session.takeSharedDeliveries(hasOther)) {
    const group = delivery.group!;
    const chosen = chooseMember(group, session) ?? group.members.find((m) => m.subscriber !== session && m.subscriber.link);
    if (!chosen || !access.canReceive(chosen.subscriber.link!, delivery.message.topic)) continue;
    chosen.subscriber.deliver(delivery.message, Math.min(chosen.qos, delivery.qos) as QoS, delivery.retain, delivery.subscriptionIds, group);
  }
}

/**
 * Retained messages for a new subscription [MQTT-3.3.1-9]: sent with RETAIN set
 * [MQTT-3.3.1-8], at most at the granted QoS; Retain Handling 1 only for a new
 * subscription, 2 never [MQTT-3.3.1-10] [MQTT-3.3.1-11]; none for shared
 * subscriptions (section 4.8.2). They are paced by the subscriber's drain (see {@link RetainedFeed}).
 */
export function deliverRetained(source: RetainedSource, session: Session, entry: SubscriptionEntry<Session>, isNew: boolean): void {
  if (entry.shareGroup !== undefined) return;
  if (entry.retainHandling === 2 || (entry.retainHandling === 1 && !isNew)) return;
  const messages = source.retained.match(entry.matchFilter);
  if (messages.length === 0) return;
  const ids = entry.subscriptionId === undefined ? undefined : [entry.subscriptionId];
  session.pace(new RetainedFeed(source, messages, entry.qos, ids));
}
