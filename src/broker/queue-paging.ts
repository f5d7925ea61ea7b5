import type { FlowControl } from './flow-control.js';
import { createMessage, type BrokerMessage } from './message.js';
import type { Logger } from './ports/logger.js';
import type { QueuePaging, Store, StoredDelivery, StoredMessage } from './ports/store.js';
import type { BrokerStats } from './stats.js';

/** The drop reason of a queued delivery left out because its row in the store is damaged. */
export const DAMAGED_IN_STORE = 'damaged-in-store';

/** Queued deliveries a session reads back from the store at a time. */
export const PAGE_SIZE = 500;
/** A session reads its next page once fewer than this many deliveries wait in memory. */
export const PAGE_LOW = PAGE_SIZE / 2;
/** Deliveries staged in the store past which they are written at once, or their publisher waits for the store. */
const STAGED_LIMIT = 200_000;
/** Budget of in-memory queues when `max_queued_bytes_total` sets none. */
const DEFAULT_BUDGET = 512 * 1024 * 1024;

/** One page of a session's queue, read back: deliveries in order, each holding its (shared) message. */
export interface Page {
  deliveries: { stored: StoredDelivery; message: BrokerMessage }[];
  /** Queued deliveries left out because their rows failed their checks (already logged and counted). */
  damaged: number;
  /** `seq` of the last row looked at (the next page starts after it); undefined: none. */
  lastSeq: number | undefined;
}

/**
 * The broker's side of queue paging (issue 15): with a store that pages
 * ({@link Store.paging}), persistent sessions keep in memory only the head of
 * their queues. A delivery for an offline session, for a session whose queue
 * already continues in the store, or for any session while the in-memory queues
 * of all sessions together are over the budget, is only written to the store;
 * a session reads the rest back a page at a time as its client drains it.
 *
 * A message is stored once whatever the number of queues it is in, and read
 * back as one object: pages of many sessions share it while any of them holds it.
 */
export class QueuePager {
  /** Messages read back, by id, while some queue holds them. */
  private readonly shared = new Map<number, WeakRef<BrokerMessage>>();
  private readonly finalizer = new FinalizationRegistry<number>((id) => {
    if (this.shared.get(id)?.deref() === undefined) this.shared.delete(id);
  });
  /** Bytes of in-memory queues (flow control's count) past which durable online sessions page too. */
  readonly budget: number;

  constructor(
    private readonly store: Store,
    private readonly paging: QueuePaging,
    private readonly flow: FlowControl,
    private readonly logger: Logger,
    private readonly stats: BrokerStats,
  ) {
    const cap = flow.limits.maxQueuedBytesTotal;
    this.budget = cap > 0 && Number.isFinite(cap) ? Math.floor(cap / 2) : DEFAULT_BUDGET;
  }

  /** The in-memory queues of all sessions together are at or over the budget. */
  get overBudget(): boolean {
    return this.flow.queuedBytes >= this.budget;
  }

  /**
   * After a message was routed: while the store has many records staged (a fan-out
   * to many offline queues), they are written now, or, while a commit is in flight,
   * the publisher waits for it, so that what waits for the disk does not pile up in
   * memory (a socket read may hold thousands of messages).
   */
  throttle(): void {
    if (this.paging.stagedRecords < STAGED_LIMIT) return;
    this.paging.writeStaged();
    if (this.paging.stagedRecords >= STAGED_LIMIT) this.flow.holdCurrentUntil(this.store.commit());
  }

  /**
   * Reads the next page of a session's queue. `commitFirst`: deliveries of it may
   * be staged, so what is staged is committed first and every delivery written so
   * far can be read. Damaged rows are left out and logged (the client gets the
   * others, in order).
   */
  async read(clientId: string, afterSeq: number, commitFirst: boolean): Promise<Page> {
    if (commitFirst) await this.store.commit();
    const page = await this.paging.readQueued(clientId, afterSeq, PAGE_SIZE);
    if (page.damaged.length > 0) {
      for (let i = 0; i < page.skipped; i++) this.stats.countDrop(DAMAGED_IN_STORE);
      this.logger.error({ clientId, damaged: page.damaged.slice(0, 5), skipped: page.skipped, reason: DAMAGED_IN_STORE },
        'queued messages of this client are damaged in the store and were not delivered (the rest of its queue is); '
        + 'stop the broker and run `midge store check` to list them, `midge store repair` to remove them');
    }
    const byId = new Map<number, StoredMessage>();
    for (const m of page.messages) byId.set(m.id, m);
    const deliveries: Page['deliveries'] = [];
    for (const d of page.deliveries) {
      const stored = byId.get(d.messageId);
      if (stored) deliveries.push({ stored: d, message: this.message(stored) });
    }
    return { deliveries, damaged: page.skipped, lastSeq: page.lastSeq };
  }

  /** The one in-memory object of a stored message, made when no queue holds it yet. */
  message(stored: StoredMessage): BrokerMessage {
    const held = this.shared.get(stored.id)?.deref();
    if (held) return held;
    const message = createMessage({ ...stored });
    this.shared.set(stored.id, new WeakRef(message));
    this.finalizer.register(message, stored.id);
    return message;
  }
}
