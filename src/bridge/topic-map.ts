import { topicMatches, type QoS } from '../protocol/index.js';
import type { BridgeTopic } from './options.js';

/** A subscription a bridge makes, locally (for `out` topics) or on the remote (for `in`). */
export interface BridgeSubscription {
  filter: string;
  qos: QoS;
}

/** One topic line with the filters it stands for on each side. */
interface Rule extends BridgeTopic {
  /** `localPrefix + pattern`: what is subscribed locally for `out`. */
  localFilter: string;
  /** `remotePrefix + pattern`: what is subscribed on the remote for `in`. */
  remoteFilter: string;
}

/**
 * The topic lines of one bridge, as mosquitto.conf(5) applies them. Outgoing, midge
 * subscribes locally to `localPrefix + pattern`; a message's local prefix is replaced by
 * the remote prefix before it is published to the remote. Incoming, it subscribes on the
 * remote to `remotePrefix + pattern`, and replaces the remote prefix by the local one. The
 * first line whose filter matches a topic decides its mapping, as in mosquitto.
 */
export class TopicMap {
  private readonly rules: Rule[];

  constructor(topics: readonly BridgeTopic[]) {
    this.rules = topics.map((t) => ({ ...t, localFilter: t.localPrefix + t.pattern, remoteFilter: t.remotePrefix + t.pattern }));
  }

  /** Local subscriptions for the `out` and `both` lines (one per filter, at the highest QoS asked). */
  get localSubscriptions(): BridgeSubscription[] {
    return merge(this.rules.filter((r) => r.direction !== 'in').map((r) => ({ filter: r.localFilter, qos: r.qos })));
  }

  /** Remote subscriptions for the `in` and `both` lines. */
  get remoteSubscriptions(): BridgeSubscription[] {
    return merge(this.rules.filter((r) => r.direction !== 'out').map((r) => ({ filter: r.remoteFilter, qos: r.qos })));
  }

  /** Remote filters of `out`-only lines: what `bridge_attempt_unsubscribe` unsubscribes from. */
  get outOnlyRemoteFilters(): string[] {
    return [...new Set(this.rules.filter((r) => r.direction === 'out').map((r) => r.remoteFilter))];
  }

  /** The remote topic for a local one, or undefined when no `out` line covers it. */
  toRemote(topic: string): string | undefined {
    for (const rule of this.rules) {
      if (rule.direction === 'in' || !topicMatches(rule.localFilter, topic)) continue;
      return rule.remotePrefix + stripPrefix(topic, rule.localPrefix);
    }
    return undefined;
  }

  /** The local topic for a remote one; unchanged when no `in` line with a prefix covers it. */
  toLocal(topic: string): string {
    for (const rule of this.rules) {
      if (rule.direction === 'out' || (rule.localPrefix === '' && rule.remotePrefix === '')) continue;
      if (!topicMatches(rule.remoteFilter, topic)) continue;
      return rule.localPrefix + stripPrefix(topic, rule.remotePrefix);
    }
    return topic;
  }
}

function stripPrefix(topic: string, prefix: string): string {
  return prefix !== '' && topic.startsWith(prefix) ? topic.slice(prefix.length) : topic;
}

function merge(subscriptions: BridgeSubscription[]): BridgeSubscription[] {
  const byFilter = new Map<string, QoS>();
  for (const { filter, qos } of subscriptions) byFilter.set(filter, Math.max(byFilter.get(filter) ?? 0, qos) as QoS);
  return [...byFilter].map(([filter, qos]) => ({ filter, qos }));
}
