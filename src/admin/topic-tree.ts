import type { BrokerMessage } from '../broker/index.js';
import type { QoS } from '../protocol/index.js';

/** What the tree knows of one topic. */
export interface TopicEntry {
  readonly topic: string;
  /** Messages published to it since the tree started watching. */
  messages: number;
  /** The start of the last payload (a copy: never a view that would pin a large buffer). */
  preview: Buffer;
  /** Size of the last payload. */
  size: number;
  qos: QoS;
  /** RETAIN flag of the last message. */
  retainFlag: boolean;
  /** Epoch ms of the last message. */
  updatedAt: number;
  /** The last message is confidential (shown over HTTPS only). */
  confidential: boolean;
  /** The tree's version when this entry last changed. */
  version: number;
}

/** What changed since a version the caller saw. */
export interface TopicChanges {
  version: number;
  /** True when `topics` is the whole tree (the caller should forget what it had). */
  full: boolean;
  topics: TopicEntry[];
  /** Topics the tree forgot since then (only when not full). */
  removed: string[];
}

/** Removals remembered for callers catching up; older ones force a full list. */
const REMOVAL_LOG = 1000;

/**
 * Message counts and last payloads per topic, as MQTT Explorer shows them, fed by
 * the broker's `messagePublished` hook. Bounded: at most `maxTopics` topics, the
 * least recently published forgotten first, and at most `previewBytes` of each
 * payload kept. Every change bumps a version, so the dashboard polls for changes
 * since the last version it saw instead of fetching the whole tree.
 */
export class TopicTree {
  /** In order of last update (an update moves its entry to the end): the first is the eviction candidate. */
  private readonly entries = new Map<string, TopicEntry>();
  private version = 0;
  private readonly removals: Array<{ topic: string; version: number }> = [];
  /** Removals at or before this version may have left the log. */
  private horizon = 0;

  constructor(readonly maxTopics: number, readonly previewBytes = 256) {}

  get size(): number {
    return this.entries.size;
  }

  get(topic: string): TopicEntry | undefined {
    return this.entries.get(topic);
  }

  /** Counts a published message (the hot path: a map update and a copy of at most `previewBytes`). */
  record(message: BrokerMessage): void {
    const version = ++this.version;
    const payload = message.payload;
    const preview = Buffer.from(payload.subarray(0, this.previewBytes));
    let entry = this.entries.get(message.topic);
    if (entry) {
      this.entries.delete(message.topic);
    } else {
      if (this.entries.size >= this.maxTopics) this.evictOldest(version);
      entry = { topic: message.topic, messages: 0, preview, size: 0, qos: 0, retainFlag: false, updatedAt: 0, confidential: false, version };
    }
    entry.messages++;
    entry.preview = preview;
    entry.size = payload.length;
    entry.qos = message.qos;
    entry.retainFlag = message.retain;
    entry.updatedAt = message.createdAt;
    entry.confidential = message.confidential;
    entry.version = version;
    this.entries.set(message.topic, entry);
  }

  /** Marks a topic changed without a message (e.g. its retained message was deleted), so pollers see it again. */
  touch(topic: string): void {
    const entry = this.entries.get(topic);
    if (entry) entry.version = ++this.version;
  }

  /** Everything that changed after `since`; the whole tree when `since` is 0, from another run, or too old. */
  changesSince(since: number): TopicChanges {
    const full = since <= 0 || since > this.version || since < this.horizon;
    const topics: TopicEntry[] = [];
    for (const entry of this.entries.values()) if (full || entry.version > since) topics.push(entry);
    const removed = full ? [] : this.removals.filter((r) => r.version > since).map((r) => r.topic);
    return { version: this.version, full, topics, removed };
  }

  private evictOldest(version: number): void {
    const oldest = this.entries.keys().next();
    if (oldest.done) return;
    this.entries.delete(oldest.value);
    this.removals.push({ topic: oldest.value, version });
    if (this.removals.length > REMOVAL_LOG) this.horizon = this.removals.shift()!.version;
  }
}
