import { topicMatches } from '../protocol/index.js';
import type { BrokerMessage } from './message.js';
import type { ConnectionInfo } from './ports/transport.js';

const CACHE_LIMIT = 10_000;

/**
 * Decides which messages are confidential: those published on a confidential
 * listener, and those whose topic matches a `confidential_topics` filter. A
 * confidential message only ever leaves the broker over an encrypted link
 * (TLS or WSS), so what arrives encrypted is never delivered in clear.
 */
export class ConfidentialityPolicy {
  private readonly cache = new Map<string, boolean>();

  constructor(private readonly filters: readonly string[]) {}

  /** True when there is anything to protect at all (lets the hot path skip the check). */
  get active(): boolean {
    return this.filters.length > 0;
  }

  /** Does the topic match a confidential filter? Cached per topic. */
  topicIsConfidential(topic: string): boolean {
    if (this.filters.length === 0) return false;
    let hit = this.cache.get(topic);
    if (hit === undefined) {
      hit = this.filters.some((f) => topicMatches(f, topic));
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(topic, hit);
    }
    return hit;
  }

  /** Marks a message entering the broker. */
  classify(message: BrokerMessage, source: ConnectionInfo | undefined): void {
    if (message.confidential) return;
    message.confidential = (source?.confidential ?? false) || this.topicIsConfidential(message.topic);
  }
}

/** May this message go out over a link? Confidential ones need an encrypted link. */
export function mayTravel(message: BrokerMessage, encrypted: boolean): boolean {
  return encrypted || !message.confidential;
}
