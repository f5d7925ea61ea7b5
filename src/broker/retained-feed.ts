import type { QoS } from '../protocol/index.js';
import type { AccessControl } from './access-control.js';
import { mayTravel } from './confidentiality.js';
import { isExpired, type BrokerMessage } from './message.js';
import type { RetainedMessages } from './retained.js';
import type { PacedDeliveries, PaceTarget } from './session-types.js';

/** What a feed of retained messages reads of the broker: the retained messages now, who may receive, and where a withheld message is reported. */
export interface RetainedSource {
  readonly retained: Pick<RetainedMessages, 'get' | 'match'>;
  readonly access: Pick<AccessControl, 'canReceive'>;
  /** A confidential message was kept from a plain link (`SessionEvents.withheld`). */
  withheld(session: PaceTarget, message: BrokerMessage): void;
}

/**
 * The retained messages a new subscription asks for, delivered as the subscriber
 * drains rather than all at once: a wildcard over 200,000 retained messages would
 * otherwise overflow any queue bound, and QoS 0 ones would be dropped. Each message
 * is checked when it is poured, not when the subscription was made: one whose topic
 * got a newer retained message meanwhile is skipped (the newer one was delivered as
 * it was published), as is one that expired.
 */
export class RetainedFeed implements PacedDeliveries {
  private next = 0;

  constructor(
    private readonly source: RetainedSource,
    private readonly messages: readonly BrokerMessage[],
    private readonly grantedQos: QoS,
    private readonly subscriptionIds: number[] | undefined,
  ) {}

  pour(session: PaceTarget): boolean {
    const { source, messages } = this;
    const now = Date.now();
    while (this.next < messages.length) {
      if (!session.acceptsMore()) return false;
      const message = messages[this.next++]!;
      if (source.retained.get(message.topic) !== message || isExpired(message, now)) continue;
      const link = session.link!;
      // Retained confidential messages follow the same rule on subscribe.
      if (!mayTravel(message, link.encrypted)) {
        source.withheld(session, message);
        continue;
      }
      if (!source.access.canReceive(link, message.topic)) continue;
      const qos = (this.grantedQos < message.qos ? this.grantedQos : message.qos) as QoS;
      // Sent with RETAIN set [MQTT-3.3.1-8], at most at the granted QoS [MQTT-3.3.1-9].
      session.deliver(message, qos, true, this.subscriptionIds);
    }
    return true;
  }
}

/** The paced deliveries of one session, poured in order as it drains. */
export class PacedFeeds {
  private readonly feeds: PacedDeliveries[] = [];

  add(feed: PacedDeliveries): void {
    this.feeds.push(feed);
  }

  /** Pours while the session accepts more; true once every feed is done. */
  pour(session: PaceTarget): boolean {
    const feeds = this.feeds;
    while (feeds.length > 0 && session.acceptsMore()) {
      if (!feeds[0]!.pour(session)) return false;
      feeds.shift();
    }
    return feeds.length === 0;
  }
}
