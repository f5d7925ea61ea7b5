import { parseSharedFilter, type QoS, type RetainHandling } from '../../protocol/index.js';
import type { BrokerMessage } from '../message.js';
import type { SessionLink } from '../ports/session-link.js';

/** Anything that can hold subscriptions: a session, or a remote node in a cluster. */
export interface Subscriber {
  readonly clientId: string;
}

/**
 * What the broker's router delivers to: a local session, or, in a cluster, a
 * stand-in for a session that lives on another node (its `deliver` routes the
 * message there). Routing treats both alike, so the node a message is published
 * on decides once who gets it, shared groups included.
 */
export interface Recipient extends Subscriber {
  /** The live connection of a local session; always undefined for a stand-in. */
  readonly link: SessionLink | undefined;
  /** A stand-in whose session is connected on its node: shared groups may choose it. */
  readonly remoteOnline?: boolean;
  deliver(message: BrokerMessage, qos: QoS, retain: boolean, subscriptionIds: number[] | undefined, group?: SharedGroup<Recipient>): void;
}

/** One subscription of one subscriber, as the router stores it. */
export interface SubscriptionEntry<S extends Subscriber = Subscriber> {
  readonly subscriber: S;
  /** The filter as subscribed, `$share/...` prefix included. */
  readonly filter: string;
  /** The filter that is matched against topics (without the share prefix). */
  readonly matchFilter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: RetainHandling;
  /** v5 Subscription Identifier, when the SUBSCRIBE carried one. */
  subscriptionId: number | undefined;
  /** Share name for `$share/{group}/...` subscriptions. */
  readonly shareGroup: string | undefined;
}

/** The members of one shared subscription `$share/{group}/{filter}`. */
export interface SharedGroup<S extends Subscriber = Subscriber> {
  readonly group: string;
  readonly matchFilter: string;
  /** Members in the order they joined; delivery rotates through them. */
  readonly members: SubscriptionEntry<S>[];
  /** Index of the member that received the last message. */
  cursor: number;
}

/** The subscriptions one topic matches, grouped so each subscriber appears once. */
export interface MatchResult<S extends Subscriber = Subscriber> {
  /** Non-shared matches: each subscriber with all of its matching subscriptions. */
  readonly bySubscriber: ReadonlyArray<{ readonly subscriber: S; readonly entries: readonly SubscriptionEntry<S>[] }>;
  /** Shared groups whose filter matches: one member of each gets the message. */
  readonly groups: readonly SharedGroup<S>[];
}

/** How a subscription was asked for: the options of SUBSCRIBE (MQTT-SN and 3.1.1 use the v5 defaults). */
export type SubscriptionOptions = Pick<SubscriptionEntry, 'qos' | 'noLocal' | 'retainAsPublished' | 'retainHandling' | 'subscriptionId'>;

/** The options of a subscription that asks for nothing beyond its QoS (MQTT 3.1.1, MQTT-SN). */
export function plainSubscription(qos: QoS): SubscriptionOptions {
  return { qos, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: undefined };
}

/**
 * A subscription of `subscriber` to `filter`, as the router stores it: the one place a
 * `$share/{group}/{filter}` is split into its group and the filter topics are matched
 * against (section 4.8.2), whether it came from SUBSCRIBE, MQTT-SN, the store or a cluster.
 */
export function subscriptionEntry<S extends Subscriber>(subscriber: S, filter: string, options: SubscriptionOptions): SubscriptionEntry<S> {
  const shared = parseSharedFilter(filter);
  return {
    subscriber,
    filter,
    matchFilter: shared ? shared.filter : filter,
    qos: options.qos,
    noLocal: options.noLocal,
    retainAsPublished: options.retainAsPublished,
    retainHandling: options.retainHandling,
    subscriptionId: options.subscriptionId,
    shareGroup: shared?.group,
  };
}
