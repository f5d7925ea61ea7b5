import type { BrokerMessage } from './message.js';
import type { SessionLink } from './ports/session-link.js';
import type { Store } from './ports/store.js';
import { ReasonCode } from '../protocol/index.js';
import { PAGE_LOW, type Page, type QueuePager } from './queue-paging.js';
import type { SessionQueue } from './session-queue.js';
import type { Delivery } from './session-types.js';
import { toStoredMessage } from './stored.js';

/** What a session's store paging needs from the session (the session itself). */
export interface PagingSession {
  readonly clientId: string;
  readonly link: SessionLink | undefined;
  /** Sends what the window allows; called once a page is in. */
  pump(): void;
}

/**
 * The part of one persistent session's queue kept in the store (see queue-paging.ts):
 * new QoS 1/2 deliveries written there only, and pages read back as the client drains.
 * Made by the session on first use: sessions that never page carry none of it.
 */
export class SessionPaging {
  /** A page of the queue is being read from the store. */
  private readingPage = false;
  /** Bumped when the queue is paged out or cleared: a page read before then is stale. */
  private pageRound = 0;
  /** Deliveries of the stored tail may be staged and not yet committed: a page read waits for the commit. */
  private tailStaged = false;

  constructor(
    private readonly session: PagingSession,
    private readonly queue: SessionQueue<Delivery>,
    private readonly store: Store,
    private readonly pager: QueuePager,
  ) {}

  /**
   * Whether a new QoS 1/2 delivery of this persistent session goes to the store
   * only: its queue continues there already (order), its client is away, or the
   * in-memory queues of the broker are over the paging budget. Going away, the
   * queue's in-memory part is given up too (it is in the store).
   */
  pagesNext(): boolean {
    const q = this.queue;
    if (!this.session.link) {
      const first = q.pending.peek();
      if (first) this.pageOut(first.seq);
      return true;
    }
    return q.stored > 0 || this.pager.overBudget;
  }

  private pageOut(firstSeq: number): void {
    this.pageRound++;
    this.tailStaged = true;
    this.queue.pageOut(firstSeq);
  }

  /** A delivery written to the store and counted in the queue, with no object in memory until it is read back. */
  queueInStore(seq: number, message: BrokerMessage, qos: 1 | 2, retain: boolean, subscriptionIds: number[] | undefined, overflow: boolean): void {
    const store = this.store;
    store.saveMessage(toStoredMessage(message));
    store.saveDelivery({
      clientId: this.session.clientId, seq, messageId: message.id, qos, retain, subscriptionIds, packetId: undefined, state: 'queued',
    });
    this.queue.pushStored(seq, message.payload.length, overflow);
    this.tailStaged = true;
  }

  /** Reads the next page of the queue from the store once the in-memory part runs low. */
  readPage(): void {
    if (this.readingPage || this.queue.pending.length >= PAGE_LOW) return;
    this.readingPage = true;
    const round = this.pageRound;
    const commitFirst = this.tailStaged;
    this.tailStaged = false;
    this.pager.read(this.session.clientId, this.queue.storedAfter, commitFirst).then((page) => {
      this.readingPage = false;
      if (round === this.pageRound) this.takePage(page);
    }, () => {
      this.readingPage = false;
      if (round === this.pageRound) this.session.link?.close(ReasonCode.UnspecifiedError, 'the queued messages could not be read from the store');
    });
  }

  /** The queue was cleared (session end): a page being read is stale. */
  cleared(): void {
    this.pageRound++;
  }

  private takePage(page: Page): void {
    if (page.lastSeq === undefined) {
      // Nothing committed after the cursor: what is counted is still being written, or was never there.
      if (this.store.pending) this.tailStaged = true;
      else this.queue.storedExhausted();
    } else {
      const deliveries = page.deliveries.map(({ stored: d, message }): Delivery => ({
        seq: d.seq, message, qos: d.qos, retain: d.retain, subscriptionIds: d.subscriptionIds, packetId: undefined, state: 'queued',
      }));
      this.queue.pageIn(deliveries, page.lastSeq, page.damaged);
    }
    this.session.pump();
  }
}
