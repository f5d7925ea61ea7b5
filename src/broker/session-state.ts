import type { ProtocolVersion } from '../protocol/index.js';
import type { FlowControl, SessionFlow } from './flow-control.js';
import { PacketIdAllocator } from './packet-ids.js';
import type { PreparedSends } from './prepared-sends.js';
import type { SessionLink } from './ports/session-link.js';
import type { PagedQueue, Store, StoredDelivery, StoredSession, StoredWill } from './ports/store.js';
import type { PacedFeeds } from './retained-feed.js';
import type { SessionPaging } from './session-paging.js';
import { SessionQueue } from './session-queue.js';
import type { Delivery, SessionLimits } from './session-types.js';
import type { Recipient, SharedGroup } from './router/types.js';

/**
 * No deliveries awaiting a resend: shared by every session that has none (most of them,
 * most of the time). Frozen, so that a push into it throws instead of corrupting them all.
 */
export const NONE_AWAITING: Delivery[] = Object.freeze([]) as unknown as Delivery[];

/** What {@link SessionState.takeSharedDeliveries} takes from a session that holds nothing. */
const NOTHING_TAKEN: readonly Delivery[] = Object.freeze([]);

/**
 * What one client's session holds [MQTT-4.1.0-1], apart from its subscriptions:
 * outgoing messages queued and in flight, inbound QoS 2 packet ids not yet released,
 * the will and expiry; how it is written to the store and restored from it. The
 * {@link Session} built on it decides what to send and when.
 */
export abstract class SessionState {
  // The maps, sets and helpers below are made on first use: an idle client needs none of
  // them, and made up front they cost about 750 bytes per connection (issue 19).
  /** Deliveries not yet sent: QoS 1/2 oldest first [MQTT-4.6.0-6], and QoS 0 waiting for a congested link. */
  protected readonly queue: SessionQueue<Delivery>;
  protected inflightMap: Map<number, Delivery> | undefined;
  /**
   * In-flight deliveries the current link has not been sent yet: after a reconnect
   * with a smaller Receive Maximum, or held back from a plain link. Resent, in
   * order and with DUP, as the client's window allows [MQTT-3.3.4-9].
   */
  protected awaitingResend: Delivery[] = NONE_AWAITING;
  /** Persistent sessions: deliveries with a packet id, being written or ready, never sent yet. */
  protected prepared: PreparedSends | undefined;
  /** Retained messages for new subscriptions, poured in as the client drains. */
  protected paced: PacedFeeds | undefined;
  protected inboundIds: Set<number> | undefined;
  protected packetIds: PacketIdAllocator | undefined;
  protected nextSeq = 1;
  /** Durable sessions with a store that pages: the part of the queue kept in the store. */
  protected paging: SessionPaging | undefined;
  link: SessionLink | undefined;
  will: StoredWill | undefined;
  disconnectedAt: number | undefined;
  /** Timer for session expiry or a delayed will, owned by the broker. */
  timer: NodeJS.Timeout | undefined;
  username: string | undefined;

  constructor(
    readonly clientId: string,
    public protocolVersion: ProtocolVersion,
    /** Seconds the session outlives its connection (0: ends with it). */
    public expiryInterval: number,
    public limits: SessionLimits,
    protected readonly store: Store | undefined,
    flow: FlowControl,
  ) {
    this.queue = new SessionQueue(this, flow);
  }

  /** Deliveries sent and not yet completed, by packet id, in send order. */
  get inflight(): Map<number, Delivery> {
    return (this.inflightMap ??= new Map());
  }

  /** Inbound QoS 2 packet ids awaiting PUBREL: a repeat PUBLISH is not routed again [MQTT-4.3.3-2]. */
  get inboundQos2(): Set<number> {
    return (this.inboundIds ??= new Set());
  }

  /** Deliveries in flight, without making the map of an idle session. */
  get inflightCount(): number {
    return this.inflightMap?.size ?? 0;
  }

  protected get preparedCount(): number {
    return this.prepared?.size ?? 0;
  }

  protected nextPacketId(): number {
    return (this.packetIds ??= new PacketIdAllocator()).allocate(this.inflight);
  }

  /** Sessions that outlive their connection are written to the store; others never touch it. */
  get durable(): boolean {
    return this.expiryInterval > 0 && this.store !== undefined;
  }

  get online(): boolean {
    return this.link !== undefined;
  }

  /** Backpressure and slow-consumer state of the client (see {@link FlowControl}). */
  get flow(): SessionFlow {
    return this.queue.flow;
  }

  /** Deliveries queued, QoS 0 and QoS 1/2 (not those in flight). */
  get queuedCount(): number {
    return this.queue.length + this.preparedCount;
  }

  /** Payload bytes queued. */
  get queuedPayloadBytes(): number {
    return this.queue.payloadBytes;
  }

  /** Deliveries the client has been sent and not yet completed: what its Receive Maximum counts. */
  protected get outstanding(): number {
    return this.inflightCount - this.awaitingResend.length - this.preparedCount;
  }

  /** Records an inbound QoS 2 packet id; returns false when it was already there (a resend). */
  addInbound(packetId: number): boolean {
    if (this.inboundQos2.has(packetId)) return false;
    this.inboundQos2.add(packetId);
    if (this.durable) this.store!.saveInbound({ clientId: this.clientId, packetId });
    return true;
  }

  /** PUBREL for an inbound QoS 2 message; returns false when the id was unknown. */
  releaseInbound(packetId: number): boolean {
    if (!this.inboundIds?.delete(packetId)) return false;
    if (this.durable) this.store!.deleteInbound(this.clientId, packetId);
    return true;
  }

  /** Restores a delivery read from the store at boot. */
  restoreDelivery(delivery: Delivery): void {
    this.nextSeq = Math.max(this.nextSeq, delivery.seq + 1);
    if (delivery.state === 'queued' || delivery.packetId === undefined) {
      delivery.state = 'queued';
      this.queue.push(delivery, false);
    } else {
      this.inflight.set(delivery.packetId, delivery);
    }
  }

  /** The queued deliveries the store kept at restore: counted now, read as the client drains. */
  restorePaged(paged: PagedQueue): void {
    this.nextSeq = Math.max(this.nextSeq, paged.lastSeq + 1);
    this.queue.stored = paged.count;
    this.queue.storedBytes = paged.bytes;
    this.queue.storedAfter = paged.afterSeq;
  }

  /** Restores order after {@link restoreDelivery} calls in any order. */
  sortRestored(): void {
    this.queue.pending.sort((a, b) => a.seq - b.seq);
    const sorted = [...this.inflight.values()].sort((a, b) => a.seq - b.seq);
    this.inflight.clear();
    for (const d of sorted) this.inflight.set(d.packetId!, d);
  }

  /**
   * Removes the QoS 1/2 deliveries that came through shared subscriptions and
   * were not yet received by the client (queued, or a QoS 1 PUBLISH sent and not acknowledged),
   * so the broker can give them to another member of the group.
   */
  takeSharedDeliveries(canMove: (group: SharedGroup<Recipient>) => boolean): readonly Delivery[] {
    // Most sessions that go offline or end hold nothing: no arrays made, nothing walked (issue 19).
    if (this.queue.pending.length === 0 && !this.inflightMap?.size) return NOTHING_TAKEN;
    const taken = this.queue.removeWhere((d) => d.group !== undefined && canMove(d.group));
    for (const [packetId, d] of this.inflightMap ?? []) {
      // QoS 2 stays with the member it was sent to: it must complete there [MQTT-4.8.2-4].
      if (d.group && d.qos === 1 && d.state === 'sent' && canMove(d.group)) {
        this.inflight.delete(packetId);
        taken.push(d);
      }
    }
    for (const d of taken) this.forget(d);
    return taken.sort((a, b) => a.seq - b.seq);
  }

  /** Messages queued and in flight, for the admin API and $SYS. */
  pendingMessages(): readonly Delivery[] {
    return [...(this.inflightMap?.values() ?? []), ...this.queue.pending];
  }

  /** The session's record for the store. */
  record(): StoredSession {
    return {
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      disconnectedAt: this.disconnectedAt,
      will: this.will,
      username: this.username,
    };
  }

  protected forget(delivery: Delivery): void {
    if (this.durable) this.store!.deleteDelivery(this.clientId, delivery.seq);
  }

  protected storedDelivery(d: Delivery): StoredDelivery {
    return {
      clientId: this.clientId, seq: d.seq, messageId: d.message.id, qos: d.qos, retain: d.retain,
      subscriptionIds: d.subscriptionIds, packetId: d.packetId, state: d.state,
    };
  }
}
