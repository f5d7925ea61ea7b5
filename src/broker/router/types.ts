import type { QoS, RetainHandling } from '../../protocol/index.js';

/** Anything that can hold subscriptions: a session, or a remote node in a cluster. */
export interface Subscriber {
  readonly clientId: string;
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
