import { DeliveryQueue } from './delivery-queue.js';
import { SessionFlow, type FlowControl, type FlowSubject } from './flow-control.js';
import type { BrokerMessage } from './message.js';
import type { SessionLink } from './ports/session-link.js';

/** What every queued delivery has; a QoS 0 one has nothing more. */
export interface Queued {
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
 * (the broker-wide cap and the high-water mark). The representation stays behind
 * these methods, so that long queues can later be paged to the store.
 */
export class SessionQueue<D extends Queued> implements FlowSubject {
  /** QoS 1/2 deliveries not yet sent, oldest first. */
  readonly pending = new DeliveryQueue<D>();
  /** QoS 0 deliveries waiting for the link to drain, oldest first. */
  readonly qos0 = new DeliveryQueue<Queued>();
  /** Payload bytes in both (what `max_queued_bytes` bounds). */
  private bytes = 0;
  /** Backpressure and slow-consumer state of the client. */
  readonly flow = new SessionFlow();
  /** PUBLISH packets written to the client's links so far: the progress the slow-consumer check looks at. */
  sentCount = 0;

  constructor(private readonly owner: QueueOwner, private readonly control: FlowControl) {}

  get clientId(): string {
    return this.owner.clientId;
  }

  get online(): boolean {
    return this.owner.link !== undefined;
  }

  /** Online, able to take messages and not a slow consumer: publishers wait for it rather than it losing messages. */
  get draining(): boolean {
    const link = this.owner.link;
    return link !== undefined && !this.flow.slow && link.drains?.() !== false;
  }

  /** Bytes waiting for the client: queued deliveries with their overhead, and the link's backlog. */
  pressure(): number {
    return this.memoryBytes + (this.owner.link?.backlog?.() ?? 0);
  }

  closeLink(reasonCode: number, reason: string): void {
    this.owner.link?.close(reasonCode, reason);
  }

  get length(): number {
    return this.pending.length + this.qos0.length;
  }

  get payloadBytes(): number {
    return this.bytes;
  }

  /** Bytes the queue holds, payload and entry overhead. */
  get memoryBytes(): number {
    return this.bytes + this.length * QUEUE_ENTRY_OVERHEAD;
  }

  /** Room under both bounds. */
  hasRoom(): boolean {
    const bounds = this.owner.limits;
    return this.length < bounds.maxQueuedMessages && (bounds.maxQueuedBytes <= 0 || this.bytes < bounds.maxQueuedBytes);
  }

  /** How full the queue is against its bounds: the larger of count and bytes, 0 to 1 (past 1 when over). */
  fill(): number {
    const bounds = this.owner.limits;
    const byCount = this.length / bounds.maxQueuedMessages;
    return bounds.maxQueuedBytes > 0 ? Math.max(byCount, this.bytes / bounds.maxQueuedBytes) : byCount;
  }

  /** Whether `message` fits under both bounds. */
  fits(message: BrokerMessage): boolean {
    const bounds = this.owner.limits;
    return this.length < bounds.maxQueuedMessages
      && (bounds.maxQueuedBytes <= 0 || this.bytes + message.payload.length <= bounds.maxQueuedBytes);
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
