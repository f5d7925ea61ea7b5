import { DeliveryQueue } from './delivery-queue.js';
import { SessionFlow, type FlowControl, type FlowSubject } from './flow-control.js';
import type { BrokerMessage } from './message.js';
import type { ClientPrincipal } from './ports/auth.js';
import type { SessionLink } from './ports/session-link.js';

/**
 * The read check routing made for a delivery, so that the one at transmission can
 * reuse it (see `AccessControl.canStillReceive`). Both undefined when it was routed
 * while its session was offline, or read back from the store.
 */
export interface ReadChecked {
  /** The principal of the link it was checked for. */
  checkedFor?: ClientPrincipal | undefined;
  /** The version of the read rules then (`AccessControl.readVersion`). */
  checkedVersion?: number | undefined;
}

/** What every queued delivery has; a QoS 0 one has nothing more. */
export interface Queued extends ReadChecked {
  message: BrokerMessage;
  retain: boolean;
  subscriptionIds: number[] | undefined;
}

/** Memory a queued delivery costs beyond its payload, counted toward the broker-wide cap and the high-water mark. */
export const QUEUE_ENTRY_OVERHEAD = 128;

/** The bounds of one client's queue: mosquitto's `max_queued_messages` and `max_queued_bytes` (0: none). */
export interface QueueBounds {
  maxQueuedMessages: number;
  maxQueuedBytes: number;
}

/** The session a queue belongs to, as the queue sees it. */
export interface QueueOwner {
  readonly clientId: string;
  readonly link: SessionLink | undefined;
  readonly limits: QueueBounds;
}

/**
 * The deliveries a session holds for its client and has not sent: QoS 1/2 in order
 * [MQTT-4.6.0-6], and QoS 0 waiting for a congested link (online only). Both count
 * against the client's bounds, and every byte in or out is reported to flow control
 * (the broker-wide cap and the high-water mark). With a store that pages, the
 * tail of a persistent session's QoS 1/2 queue may live in the store only
 * (`stored`, see queue-paging.ts): it counts against the client's bounds and its
 * backlog, not against the memory of the broker.
 */
export class SessionQueue<D extends Queued> implements FlowSubject {
  /** QoS 1/2 deliveries not yet sent, oldest first. */
  readonly pending = new DeliveryQueue<D>();
  /** QoS 0 deliveries waiting for the link to drain, oldest first. */
  readonly qos0 = new DeliveryQueue<Queued>();
  /** Payload bytes in both (with `storedBytes`, what `max_queued_bytes` bounds). */
  private bytes = 0;
  /** QoS 1/2 deliveries queued in the store only, after every one in `pending`. */
  stored = 0;
  /** Their payload bytes. */
  storedBytes = 0;
  /** The `seq` after which the stored ones start: where the next page is read from. */
  storedAfter = 0;
  /** Made on first use: most sessions never queue (issue 19: per-connection memory). */
  private flowState: SessionFlow | undefined;
  /** PUBLISH packets written to the client's links so far: the progress the slow-consumer check looks at. */
  sentCount = 0;

  constructor(private readonly owner: QueueOwner, private readonly control: FlowControl) {}

  get clientId(): string {
    return this.owner.clientId;
  }

  /** Backpressure and slow-consumer state of the client. */
  get flow(): SessionFlow {
    return (this.flowState ??= new SessionFlow());
  }

  /** Publishers are paused until this client drains. */
  get holdsPublishers(): boolean {
    return this.flowState?.holders !== undefined;
  }

  get online(): boolean {
    return this.owner.link !== undefined;
  }

  /** Online, able to take messages and not a slow consumer: publishers wait for it rather than it losing messages. */
  get draining(): boolean {
    const link = this.owner.link;
    return link !== undefined && this.flowState?.slow !== true && link.drains?.() !== false;
  }

  /** Bytes waiting for the client: queued deliveries with their overhead, and the link's backlog. */
  pressure(): number {
    return this.memoryBytes + this.storedBytes + this.stored * QUEUE_ENTRY_OVERHEAD + (this.owner.link?.backlog?.() ?? 0);
  }

  closeLink(reasonCode: number, reason: string): void {
    this.owner.link?.close(reasonCode, reason);
  }

  get length(): number {
    return this.pending.length + this.qos0.length + this.stored;
  }

  get payloadBytes(): number {
    return this.bytes + this.storedBytes;
  }

  /** Bytes the queue holds in memory, payload and entry overhead. */
  get memoryBytes(): number {
    return this.bytes + (this.pending.length + this.qos0.length) * QUEUE_ENTRY_OVERHEAD;
  }

  /** Room under both bounds. */
  hasRoom(): boolean {
    const bounds = this.owner.limits;
    return this.length < bounds.maxQueuedMessages && (bounds.maxQueuedBytes <= 0 || this.payloadBytes < bounds.maxQueuedBytes);
  }

  /** How full the queue is against its bounds: the larger of count and bytes, 0 to 1 (past 1 when over). */
  fill(): number {
    const bounds = this.owner.limits;
    const byCount = this.length / bounds.maxQueuedMessages;
    return bounds.maxQueuedBytes > 0 ? Math.max(byCount, this.payloadBytes / bounds.maxQueuedBytes) : byCount;
  }

  /** Whether `message` fits under both bounds. */
  fits(message: BrokerMessage): boolean {
    const bounds = this.owner.limits;
    return this.length < bounds.maxQueuedMessages
      && (bounds.maxQueuedBytes <= 0 || this.payloadBytes + message.payload.length <= bounds.maxQueuedBytes);
  }

  /** A QoS 1/2 delivery queued in the store only (after everything in memory), numbered `seq`; `overflow` as for {@link push}. */
  pushStored(seq: number, payloadBytes: number, overflow: boolean): void {
    // The first one: the stored part starts here. Before it, the store holds the in-memory ones too (still `queued`
    // there until sent), so reading from an older cursor would hand them over a second time.
    if (this.stored === 0) this.storedAfter = seq - 1;
    this.stored++;
    this.storedBytes += payloadBytes;
    // Nothing in memory, but the backlog grew: flow control may hold the publisher.
    this.control.queued(this, 0, overflow);
  }

  /** Deliveries read back from the store join the in-memory queue; `lastSeq`: the last one read; `skipped`: damaged ones left out. */
  pageIn(deliveries: readonly D[], lastSeq: number, skipped: number): void {
    this.stored -= skipped;
    for (const d of deliveries) {
      this.stored--;
      this.storedBytes -= d.message.payload.length;
      this.pending.push(d);
      this.added(d, false);
    }
    this.storedAfter = lastSeq;
    // The store held fewer than counted (damaged rows left out): what is left is what was read.
    if (this.stored < 0 || this.storedBytes < 0) this.stored = this.storedBytes = 0;
  }

  /** The store has nothing more after `storedAfter`: forget the count. */
  storedExhausted(): void {
    this.stored = 0;
    this.storedBytes = 0;
  }

  /** Every in-memory QoS 1/2 delivery becomes store-only (they are in the store already); `firstSeq`: the oldest's. */
  pageOut(firstSeq: number): void {
    const count = this.pending.length;
    if (count === 0) return;
    let bytes = 0;
    for (const d of this.pending) bytes += d.message.payload.length;
    this.pending.clear();
    this.bytes -= bytes;
    this.control.dequeued(bytes + count * QUEUE_ENTRY_OVERHEAD);
    this.stored += count;
    this.storedBytes += bytes;
    this.storedAfter = firstSeq - 1;
  }

  /** Queues a QoS 1/2 delivery; `overflow`: past a full bound, its publisher held until there is room. */
  push(delivery: D, overflow: boolean): void {
    this.pending.push(delivery);
    this.added(delivery, overflow);
  }

  pushQos0(delivery: Queued, overflow: boolean): void {
    this.qos0.push(delivery);
    this.added(delivery, overflow);
  }

  shift(): D | undefined {
    const d = this.pending.shift();
    if (d) this.removed(d);
    return d;
  }

  shiftQos0(): Queued | undefined {
    const d = this.qos0.shift();
    if (d) this.removed(d);
    return d;
  }

  /** Deliveries taken out and not sent go back to the head, in order. */
  unshift(deliveries: readonly D[]): void {
    this.pending.unshift(deliveries);
    for (const d of deliveries) this.added(d, false);
  }

  /** Removes the QoS 1/2 deliveries `take` says yes to; returns them. */
  removeWhere(take: (d: D) => boolean): D[] {
    const taken = this.pending.removeWhere(take);
    for (const d of taken) this.removed(d);
    return taken;
  }

  clear(): void {
    this.control.dequeued(this.memoryBytes);
    this.pending.clear();
    this.qos0.clear();
    this.bytes = 0;
    this.storedExhausted();
  }

  private added(d: Queued, overflow: boolean): void {
    const bytes = d.message.payload.length;
    this.bytes += bytes;
    this.control.queued(this, bytes + QUEUE_ENTRY_OVERHEAD, overflow);
  }

  private removed(d: Queued): void {
    const bytes = d.message.payload.length;
    this.bytes -= bytes;
    this.control.dequeued(bytes + QUEUE_ENTRY_OVERHEAD);
  }
}
