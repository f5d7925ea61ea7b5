import type { ProtocolVersion, QoS } from '../protocol/index.js';
import { mayTravel } from './confidentiality.js';
import { isExpired, type BrokerMessage } from './message.js';
import { whenDurable } from './commit-gate.js';
import type { FlowControl } from './flow-control.js';
import { PreparedSends } from './prepared-sends.js';
import { SessionPaging } from './session-paging.js';
import { NONE_AWAITING, SessionState } from './session-state.js';
import type { ReadChecked } from './session-queue.js';
import type { SessionLink } from './ports/session-link.js';
import type { Store } from './ports/store.js';
import type { QueuePager } from './queue-paging.js';
import { PacedFeeds } from './retained-feed.js';
import type { Delivery, DropReason, PacedDeliveries, SessionLimits } from './session-types.js';
import type { Recipient, SharedGroup, SubscriptionEntry } from './router/types.js';
import { toStoredMessage } from './stored.js';
import { ReasonCode } from '../protocol/index.js';

export type { Delivery, DropReason, PacedDeliveries, PaceTarget, SessionLimits } from './session-types.js';

/** What a session reports back to the broker. */
export interface SessionEvents {
  dropped(session: Session, reason: DropReason, message: BrokerMessage): void;
  /** A confidential message was kept from a link that is not encrypted. */
  withheld(session: Session, message: BrokerMessage): void;
  /**
   * May this message go to the client on `link` now? Asked the moment a queued or
   * in-flight PUBLISH is transmitted (queued, restored, in flight or resent), so that
   * whoever is connected, after a takeover or an ACL reload, gets only what they may
   * read; `checked`: the check routing made, which stands while neither the principal
   * on the link nor the rules changed.
   */
  mayReceive(session: Session, link: SessionLink, message: BrokerMessage, checked: ReadChecked): boolean;
  /**
   * The version of the read rules on `link` (`AccessControl.readVersion`), recorded
   * with a delivery routed to it: routing has just checked that the link may read it.
   */
  readVersion(link: SessionLink): number | undefined;
  /** Backpressure and slow-consumer state, shared by every session. */
  readonly flow: FlowControl;
  /** Present when the store pages queues (see queue-paging.ts). */
  readonly pager?: QueuePager;
}

/** Packet ids a persistent session prepares (writes to the store) ahead of its inflight window. */
const PREPARE_AHEAD = 1000;

/**
 * One client's session [MQTT-4.1.0-1]: its subscriptions, and on the state it holds
 * ({@link SessionState}: queue, in flight, inbound QoS 2 ids, will, expiry) every
 * decision of what to send and when. It outlives connections when persistent; the
 * {@link SessionLink} only encodes and writes.
 */
export class Session extends SessionState implements Recipient {
  /** Made on first use, like the state's maps (issue 19: an idle client needs none). */
  private subscriptionMap: Map<string, SubscriptionEntry<Session>> | undefined;

  constructor(
    clientId: string,
    protocolVersion: ProtocolVersion,
    expiryInterval: number,
    limits: SessionLimits,
    store: Store | undefined,
    private readonly events: SessionEvents,
  ) {
    super(clientId, protocolVersion, expiryInterval, limits, store, events.flow);
  }

  /** The client's subscriptions by topic filter. */
  get subscriptions(): Map<string, SubscriptionEntry<Session>> {
    return (this.subscriptionMap ??= new Map());
  }

  /** Subscriptions held, without making the map of a session that has none. */
  get subscriptionCount(): number {
    return this.subscriptionMap?.size ?? 0;
  }


  /** Online, not backlogged past the low-water mark and with room: paced deliveries may come in. */
  acceptsMore(): boolean {
    const q = this.queue;
    return this.link !== undefined && q.hasRoom() && q.pressure() <= this.events.flow.limits.lowWaterMark;
  }

  /**
   * Delivers a message at the given QoS. What the link cannot take now is queued,
   * within the session's bounds; while the client drains (online, not slow) the
   * publisher is paused instead of the message dropped (see {@link FlowControl}).
   */
  deliver(message: BrokerMessage, qos: QoS, retain: boolean, subscriptionIds: number[] | undefined, group?: SharedGroup<Recipient>): void {
    const link = this.link;
    if (link && !mayTravel(message, link.encrypted)) this.events.withheld(this, message);
    if (qos === 0) return this.deliverQos0(link, message, retain, subscriptionIds);
    const room = this.roomFor(message);
    if (room !== undefined && room !== 'overflow') return this.drop(room, message);
    const paging = this.durable ? this.storePaging : undefined;
    if (paging?.pagesNext()) return paging.queueInStore(this.nextSeq++, message, qos, retain, subscriptionIds, room === 'overflow');
    const delivery: Delivery = {
      seq: this.nextSeq++, message, qos, retain, subscriptionIds, packetId: undefined, state: 'queued', group,
      checkedFor: link?.principal, checkedVersion: link && this.events.readVersion(link),
    };
    if (this.durable) {
      this.store!.saveMessage(toStoredMessage(message));
      this.store!.saveDelivery(this.storedDelivery(delivery));
    } else if (link && this.queue.pending.length === 0 && this.awaitingResend.length === 0 && this.outstanding < this.limits.inflightWindow
      && link.writable() && mayTravel(message, link.encrypted)) {
      this.send(delivery);
      return;
    }
    this.queue.push(delivery, room === 'overflow');
    if (link && this.outstanding < this.limits.inflightWindow) this.pump();
  }

  /** QoS 0: straight out while the link takes it, else queued while online; never kept offline. */
  private deliverQos0(link: SessionLink | undefined, message: BrokerMessage, retain: boolean, subscriptionIds: number[] | undefined): void {
    if (!link) return this.drop('offline-qos0', message);
    if (!mayTravel(message, link.encrypted)) return;
    if (this.queue.qos0.length === 0 && link.writable()) return this.sendQos0(link, message, retain, subscriptionIds);
    if (link.drains?.() === false) return this.drop('queue-full', message);
    const room = this.roomFor(message);
    if (room !== undefined && room !== 'overflow') return this.drop(room, message);
    this.queue.pushQos0({ message, retain, subscriptionIds, checkedFor: link.principal, checkedVersion: this.events.readVersion(link) }, room === 'overflow');
  }

  private sendQos0(link: SessionLink, message: BrokerMessage, retain: boolean, subscriptionIds: number[] | undefined): void {
    this.queue.sentCount++;
    if (!link.sendPublish({ message, qos: 0, retain, packetId: undefined, dup: false, subscriptionIds })) this.drop('too-large', message);
  }

  /**
   * Whether a delivery may be queued: undefined when there is room; `overflow` when
   * the queue is full but the client drains, so the publisher is held (and a QoS 1/2
   * publisher's acknowledgement waits) instead; otherwise why it is dropped. Past its
   * bounds by what its publishers sent before they were paused, at most.
   */
  private roomFor(message: BrokerMessage): DropReason | 'overflow' | undefined {
    const draining = this.queue.draining;
    // A queue that pages to the store costs no memory while its client is away.
    if (!draining && this.events.flow.overCap && !(this.durable && this.events.pager)) return 'memory-limit';
    if (this.queue.fits(message)) return undefined;
    return draining && this.events.flow.routingFromSource ? 'overflow' : 'queue-full';
  }

  private drop(reason: DropReason, message: BrokerMessage): void {
    this.events.dropped(this, reason, message);
  }

  /** The store paging of this persistent session's queue, made on first use; undefined without a pager. */
  private get storePaging(): SessionPaging | undefined {
    const pager = this.events.pager;
    return pager && (this.paging ??= new SessionPaging(this, this.queue, this.store!, pager));
  }

  /** Sends queued deliveries while the window and the link allow; then lets held publishers go and pours paced ones. */
  pump(): void {
    const link = this.link;
    if (!link) return;
    if (this.queue.qos0.length > 0) this.pumpQos0(link);
    if (this.queue.pending.length > 0 || this.awaitingResend.length > 0 || (this.prepared?.readyCount ?? 0) > 0) {
      this.resendAwaiting(link);
      if (this.durable) {
        this.sendReady(link);
        this.prepare(link);
      } else {
        this.sendQueued(link);
      }
    }
    if (this.queue.stored > 0) this.storePaging?.readPage();
    if (this.queue.holdsPublishers) this.events.flow.drained(this.queue);
    if (this.paced) this.pourPaced();
  }

  private pumpQos0(link: SessionLink): void {
    while (this.queue.qos0.length > 0 && link.writable()) {
      const d = this.queue.shiftQos0()!;
      // Routed while the link was congested: the read ACL may have changed since (a reload).
      if (this.events.mayReceive(this, link, d.message, d)) this.sendQos0(link, d.message, d.retain, d.subscriptionIds);
      else this.drop('not-authorized', d.message);
    }
  }

  /** Clean sessions: sends queued deliveries as the window allows. */
  private sendQueued(link: SessionLink): void {
    this.takeQueued(link, () => this.outstanding < this.limits.inflightWindow && link.writable(), (d) => this.send(d));
  }

  /**
   * Takes queued QoS 1/2 deliveries in order while `more()`: expired ones are dropped,
   * confidential ones stay queued, in order, while the link is not encrypted.
   */
  private takeQueued(link: SessionLink, more: () => boolean, take: (d: Delivery) => void): void {
    const now = Date.now();
    let held: Delivery[] | undefined;
    while (this.queue.pending.length > 0 && more()) {
      const delivery = this.queue.shift()!;
      if (!mayTravel(delivery.message, link.encrypted)) (held ??= []).push(delivery);
      else if (!this.expired(delivery, now)) take(delivery);
    }
    if (held) this.queue.unshift(held);
  }

  private expired(delivery: Delivery, now: number): boolean {
    if (!isExpired(delivery.message, now)) return false;
    this.forget(delivery);
    this.drop('expired', delivery.message);
    return true;
  }

  /**
   * Persistent sessions: queued deliveries get their packet ids ahead of the window,
   * a batch per store commit, and go out once those ids are on disk (a crash before
   * that would resend them under new ids: a QoS 2 duplicate). Preparing ahead keeps
   * the window fed from ids already durable, instead of one commit per window.
   */
  private prepare(link: SessionLink): void {
    const ahead = Math.min(PREPARE_AHEAD, 65535 - this.limits.inflightWindow);
    let count = 0;
    const prepared = (this.prepared ??= new PreparedSends());
    this.takeQueued(link, () => prepared.size < ahead && this.inflightCount < 65535, (d) => {
      d.packetId = this.nextPacketId();
      d.state = 'sent';
      this.inflight.set(d.packetId, d);
      this.store!.saveDelivery(this.storedDelivery(d));
      prepared.add(d);
      count++;
    });
    if (count === 0) return;
    prepared.readyWhenDurable(this.store!, count, () => this.pump(), () => link.close(ReasonCode.UnspecifiedError, 'the delivery state could not be stored'));
  }

  /** Persistent sessions: sends deliveries whose packet ids are on disk, as the window allows. */
  private sendReady(link: SessionLink): void {
    const prepared = this.prepared;
    while (prepared && prepared.readyCount > 0 && this.outstanding < this.limits.inflightWindow && link.writable()) {
      const delivery = prepared.nextReady()!;
      // Completed or moved to another member meanwhile.
      if (this.inflight.get(delivery.packetId!) === delivery) this.transmit(delivery, false);
    }
  }


  /** Resends in-flight deliveries the link has not had yet, in order, as the window allows. */
  private resendAwaiting(link: SessionLink): void {
    const waiting = this.awaitingResend;
    if (waiting.length === 0) return;
    const still: Delivery[] = [];
    for (let i = 0; i < waiting.length; i++) {
      const delivery = waiting[i]!;
      if (this.inflight.get(delivery.packetId!) !== delivery) continue;
      // Those not yet resent, this one included, do not count against the client's window.
      const outstanding = this.inflight.size - (still.length + waiting.length - i) - this.preparedCount;
      if (!mayTravel(delivery.message, link.encrypted) || outstanding >= this.limits.inflightWindow || !link.writable()) {
        still.push(delivery);
      } else {
        // Once sent, a PUBLISH is sent again whatever its expiry: the flow must complete [MQTT-4.3.3-7].
        this.awaitingResend = still.concat(waiting.slice(i + 1));
        this.transmit(delivery, true);
      }
    }
    this.awaitingResend = still.length > 0 ? still : NONE_AWAITING;
  }

  /** Clean sessions: a packet id, then out at once. */
  private send(delivery: Delivery): void {
    delivery.packetId = this.nextPacketId();
    delivery.state = 'sent';
    this.inflight.set(delivery.packetId, delivery);
    this.transmit(delivery, false);
  }

  private transmit(delivery: Delivery, dup: boolean): void {
    const link = this.link!;
    if (!this.events.mayReceive(this, link, delivery.message, delivery)) {
      // Not this client's to read: the flow ends here, as if sent and acknowledged.
      this.complete(delivery.packetId!);
      this.drop('not-authorized', delivery.message);
      return;
    }
    this.queue.sentCount++;
    const sent = link.sendPublish({
      message: delivery.message, qos: delivery.qos, retain: delivery.retain,
      packetId: delivery.packetId, dup, subscriptionIds: delivery.subscriptionIds,
    });
    // Too large for the client: discard as if sent and acknowledged [MQTT-3.1.2-25].
    if (!sent) {
      this.complete(delivery.packetId!);
      this.drop('too-large', delivery.message);
    }
  }

  /** PUBACK for QoS 1, or PUBCOMP for QoS 2: the delivery is done. Returns false for an unknown id. */
  complete(packetId: number): boolean {
    const delivery = this.inflightMap?.get(packetId);
    if (!delivery) return false;
    this.inflightMap!.delete(packetId);
    if (this.awaitingResend.length > 0) {
      const at = this.awaitingResend.indexOf(delivery);
      if (at >= 0) this.awaitingResend.splice(at, 1);
    }
    this.forget(delivery);
    return true;
  }

  /**
   * PUBREC: the client has the message; answer PUBREL from now on [MQTT-4.3.3-4].
   * A v5 PUBREC with a failure reason code ends the flow instead.
   */
  received(packetId: number, failed: boolean): boolean {
    const delivery = this.inflightMap?.get(packetId);
    if (!delivery || delivery.qos !== 2) return false;
    if (failed) return this.complete(packetId);
    delivery.state = 'released';
    if (this.durable) this.store!.saveDelivery(this.storedDelivery(delivery));
    // PUBREL only once 'released' is on disk: after a crash that lost it the PUBLISH
    // would be sent again, and a client that had completed the flow would take it as new.
    const link = this.link;
    if (link) {
      void whenDurable(this.durable ? this.store : undefined, () => {
        if (this.link === link) link.sendPubrel(packetId);
      }, () => link.close(ReasonCode.UnspecifiedError, 'the delivery state could not be stored'));
    }
    return true;
  }

  /**
   * A connection takes the session over: resend what is in flight, PUBLISH with
   * DUP set and PUBREL as they were [MQTT-4.4.0-1] [MQTT-3.3.1-1], then the queue.
   */
  attach(link: SessionLink): void {
    this.link = link;
    this.disconnectedAt = undefined;
    // Every unfinished PUBLISH is sent again (DUP set), in order, as the new link's
    // Receive Maximum allows; PUBRELs go out as they were [MQTT-4.4.0-1] [MQTT-3.3.4-9].
    this.awaitingResend = NONE_AWAITING;
    if (this.inflightCount > 0) this.resendOn(link);
    this.pump();
  }

  /** The deliveries in flight when the link attached: PUBRELs now, the rest as the window allows. */
  private resendOn(link: SessionLink): void {
    const awaiting: Delivery[] = [];
    for (const delivery of this.inflight.values()) {
      if (delivery.state === 'released') link.sendPubrel(delivery.packetId!);
      else awaiting.push(delivery);
      if (delivery.state !== 'released' && !mayTravel(delivery.message, link.encrypted)) {
        // Sent earlier over an encrypted link: it waits in flight for the next one.
        this.events.withheld(this, delivery.message);
      }
    }
    if (awaiting.length > 0) this.awaitingResend = awaiting;
  }

  /** The connection is gone; the session keeps its state if it is persistent. QoS 0 waiting for the link goes. */
  detach(now: number): void {
    this.link = undefined;
    this.disconnectedAt = now;
    this.unprepare();
    for (let d = this.queue.shiftQos0(); d; d = this.queue.shiftQos0()) this.drop('offline-qos0', d.message);
    this.events.flow.offline(this.queue);
  }

  /** Deliveries prepared but never sent go back to the head of the queue, as queued. */
  private unprepare(): void {
    if (!this.prepared) return;
    const unsent = this.prepared.takeBack().filter((d) => this.inflight.get(d.packetId!) === d);
    for (const d of unsent) {
      this.inflight.delete(d.packetId!);
      d.packetId = undefined;
      d.state = 'queued';
      if (this.durable) this.store!.saveDelivery(this.storedDelivery(d));
    }
    this.queue.unshift(unsent);
  }

  /** Retained messages for a new subscription: poured in now as far as the client takes them, the rest as it drains. */
  pace(deliveries: PacedDeliveries): void {
    (this.paced ??= new PacedFeeds()).add(deliveries);
    this.pourPaced();
  }

  private pourPaced(): void {
    if (this.paced!.pour(this)) this.paced = undefined;
  }





  /** Drops every queued delivery (session end). */
  clearQueues(): void {
    this.paging?.cleared();
    this.queue.clear();
    this.prepared?.takeBack();
    this.paced = undefined;
    this.awaitingResend = NONE_AWAITING;
    this.inflightMap?.clear();
    this.inboundIds?.clear();
    this.events.flow.offline(this.queue);
  }


}
