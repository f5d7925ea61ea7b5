import type { ProtocolVersion, QoS } from '../protocol/index.js';
import { mayTravel } from './confidentiality.js';
import { isExpired, type BrokerMessage } from './message.js';
import { whenDurable } from './commit-gate.js';
import { PacketIdAllocator } from './packet-ids.js';
import type { SessionLink } from './ports/session-link.js';
import type { Store, StoredDelivery, StoredSession, StoredWill } from './ports/store.js';
import type { Recipient, SharedGroup, SubscriptionEntry } from './router/types.js';
import { toStoredMessage } from './stored.js';
import { ReasonCode } from '../protocol/index.js';

/**
 * A QoS 1/2 delivery waiting for a slot in the inflight window, or in flight: the
 * store's record of it, holding the message itself rather than its id.
 */
export interface Delivery extends Omit<StoredDelivery, 'clientId' | 'messageId'> {
  message: BrokerMessage;
  /** The shared subscription it came through, so it can move to another member (section 4.8.2). */
  group?: SharedGroup<Recipient>;
}

/** Why a message was not delivered to a session; counted by the broker. */
export type DropReason = 'queue-full' | 'expired' | 'offline-qos0' | 'congested-qos0' | 'too-large';

/** What a session reports back to the broker. */
export interface SessionEvents {
  dropped(session: Session, reason: DropReason, message: BrokerMessage): void;
  /** A confidential message was kept from a link that is not encrypted. */
  withheld(session: Session, message: BrokerMessage): void;
}

/** Session limits, fixed when the session (re)connects. */
export interface SessionLimits {
  /** Outgoing QoS 1/2 messages in flight: min(ours, the client's Receive Maximum). */
  inflightWindow: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
}

/**
 * The state of one client's session [MQTT-4.1.0-1]: subscriptions, outgoing QoS 1/2
 * messages queued and in flight, inbound QoS 2 packet ids not yet released, the
 * will, and expiry. It outlives connections when persistent. All decisions of
 * what to send and when live here; the {@link SessionLink} only encodes and writes.
 */
export class Session implements Recipient {
  readonly subscriptions = new Map<string, SubscriptionEntry<Session>>();
  /** Deliveries not yet sent, oldest first [MQTT-4.6.0-6]. */
  private queue: Delivery[] = [];
  private queuedBytes = 0;
  /** Deliveries sent and not yet completed, by packet id, in send order. */
  readonly inflight = new Map<number, Delivery>();
  /**
   * In-flight deliveries the current link has not been sent yet: after a reconnect
   * with a smaller Receive Maximum, or held back from a plain link. Resent, in
   * order and with DUP, as the client's window allows [MQTT-3.3.4-9].
   */
  private awaitingResend: Delivery[] = [];
  /** Inbound QoS 2 packet ids awaiting PUBREL: a repeat PUBLISH is not routed again [MQTT-4.3.3-2]. */
  readonly inboundQos2 = new Set<number>();
  private readonly packetIds = new PacketIdAllocator();
  private nextSeq = 1;
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
    private readonly store: Store | undefined,
    private readonly events: SessionEvents,
  ) {}

  /** Sessions that outlive their connection are written to the store; others never touch it. */
  get durable(): boolean {
    return this.expiryInterval > 0 && this.store !== undefined;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Delivers a message at the given QoS. QoS 0 goes straight out or is dropped
   * when the client is offline or congested; QoS 1/2 is sent when the inflight
   * window allows and queued otherwise, so one slow client never stalls others.
   */
  deliver(message: BrokerMessage, qos: QoS, retain: boolean, subscriptionIds: number[] | undefined, group?: SharedGroup<Recipient>): void {
    const link = this.link;
    if (link && !mayTravel(message, link.encrypted)) this.events.withheld(this, message);
    if (qos === 0) {
      if (!link) return this.events.dropped(this, 'offline-qos0', message);
      if (!mayTravel(message, link.encrypted)) return;
      if (!link.writable()) return this.events.dropped(this, 'congested-qos0', message);
      if (!link.sendPublish({ message, qos: 0, retain, packetId: undefined, dup: false, subscriptionIds })) {
        this.events.dropped(this, 'too-large', message);
      }
      return;
    }
    const limits = this.limits;
    if (this.queue.length >= limits.maxQueuedMessages || this.queuedBytes + message.payload.length > limits.maxQueuedBytes) {
      return this.events.dropped(this, 'queue-full', message);
    }
    const delivery: Delivery = {
      seq: this.nextSeq++, message, qos, retain, subscriptionIds, packetId: undefined, state: 'queued', group,
    };
    if (this.durable) {
      this.store!.saveMessage(toStoredMessage(message));
      this.store!.saveDelivery(this.storedDelivery(delivery));
    }
    if (link && this.queue.length === 0 && this.awaitingResend.length === 0 && this.outstanding < limits.inflightWindow && link.writable()
      && mayTravel(message, link.encrypted)) {
      this.send(delivery);
      return;
    }
    this.queue.push(delivery);
    this.queuedBytes += message.payload.length;
    // The queue may hold only deliveries this link cannot carry (confidential ones on a
    // plain link), in which case this one can still go now.
    if (link && this.outstanding < limits.inflightWindow && !link.encrypted) this.pump();
  }

  /** Sends queued deliveries while the window and the link allow. */
  pump(): void {
    const link = this.link;
    if (!link) return;
    if (this.queue.length === 0 && this.awaitingResend.length === 0) return;
    this.resendAwaiting(link);
    const now = Date.now();
    // Confidential deliveries stay queued, in order, while the link is not encrypted.
    let held: Delivery[] | undefined;
    while (this.queue.length > 0 && this.outstanding < this.limits.inflightWindow && link.writable()) {
      const delivery = this.queue.shift()!;
      if (!mayTravel(delivery.message, link.encrypted)) {
        (held ??= []).push(delivery);
        continue;
      }
      this.queuedBytes -= delivery.message.payload.length;
      if (isExpired(delivery.message, now)) {
        this.forget(delivery);
        this.events.dropped(this, 'expired', delivery.message);
        continue;
      }
      this.send(delivery);
    }
    if (held) this.queue.unshift(...held);
  }

  /** Deliveries the client has been sent and not yet completed: what its Receive Maximum counts. */
  private get outstanding(): number {
    return this.inflight.size - this.awaitingResend.length;
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
      const outstanding = this.inflight.size - (still.length + waiting.length - i);
      if (!mayTravel(delivery.message, link.encrypted) || outstanding >= this.limits.inflightWindow || !link.writable()) {
        still.push(delivery);
      } else {
        // Once sent, a PUBLISH is sent again whatever its expiry: the flow must complete [MQTT-4.3.3-7].
        this.awaitingResend = still.concat(waiting.slice(i + 1));
        this.transmit(delivery, true);
      }
    }
    this.awaitingResend = still;
  }

  private send(delivery: Delivery): void {
    delivery.packetId = this.packetIds.allocate(this.inflight);
    delivery.state = 'sent';
    this.inflight.set(delivery.packetId, delivery);
    if (!this.durable) return this.transmit(delivery, false);
    this.store!.saveDelivery(this.storedDelivery(delivery));
    // The PUBLISH leaves once its packet id is on disk. Otherwise a crash would bring it
    // back as queued, to be sent again under a new id: a QoS 2 duplicate, a QoS 1 repeat
    // without DUP. A new link meanwhile has resent it already (attach).
    const link = this.link;
    void whenDurable(this.store, () => {
      if (this.link === link && this.inflight.get(delivery.packetId!) === delivery) this.transmit(delivery, false);
    }, () => link?.close(ReasonCode.UnspecifiedError, 'the delivery state could not be stored'));
  }

  private transmit(delivery: Delivery, dup: boolean): void {
    const sent = this.link!.sendPublish({
      message: delivery.message, qos: delivery.qos, retain: delivery.retain,
      packetId: delivery.packetId, dup, subscriptionIds: delivery.subscriptionIds,
    });
    // Too large for the client: discard as if sent and acknowledged [MQTT-3.1.2-25].
    if (!sent) {
      this.complete(delivery.packetId!);
      this.events.dropped(this, 'too-large', delivery.message);
    }
  }

  /** PUBACK for QoS 1, or PUBCOMP for QoS 2: the delivery is done. Returns false for an unknown id. */
  complete(packetId: number): boolean {
    const delivery = this.inflight.get(packetId);
    if (!delivery) return false;
    this.inflight.delete(packetId);
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
    const delivery = this.inflight.get(packetId);
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
    this.awaitingResend = [];
    for (const delivery of this.inflight.values()) {
      if (delivery.state === 'released') link.sendPubrel(delivery.packetId!);
      else this.awaitingResend.push(delivery);
      if (delivery.state !== 'released' && !mayTravel(delivery.message, link.encrypted)) {
        // Sent earlier over an encrypted link: it waits in flight for the next one.
        this.events.withheld(this, delivery.message);
      }
    }
    this.pump();
  }

  /** The connection is gone; the session keeps its state if it is persistent. */
  detach(now: number): void {
    this.link = undefined;
    this.disconnectedAt = now;
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
    if (!this.inboundQos2.delete(packetId)) return false;
    if (this.durable) this.store!.deleteInbound(this.clientId, packetId);
    return true;
  }

  /** Restores a delivery read from the store at boot. */
  restoreDelivery(delivery: Delivery): void {
    this.nextSeq = Math.max(this.nextSeq, delivery.seq + 1);
    if (delivery.state === 'queued' || delivery.packetId === undefined) {
      delivery.state = 'queued';
      this.queue.push(delivery);
      this.queuedBytes += delivery.message.payload.length;
    } else {
      this.inflight.set(delivery.packetId, delivery);
    }
  }

  /** Restores order after {@link restoreDelivery} calls in any order. */
  sortRestored(): void {
    this.queue.sort((a, b) => a.seq - b.seq);
    const sorted = [...this.inflight.values()].sort((a, b) => a.seq - b.seq);
    this.inflight.clear();
    for (const d of sorted) this.inflight.set(d.packetId!, d);
  }

  /**
   * Removes the QoS 1/2 deliveries that came through shared subscriptions and
   * were not yet received by the client (queued, or a QoS 1 PUBLISH sent and not acknowledged),
   * so the broker can give them to another member of the group.
   */
  takeSharedDeliveries(canMove: (group: SharedGroup<Recipient>) => boolean): Delivery[] {
    const taken: Delivery[] = [];
    this.queue = this.queue.filter((d) => {
      if (!d.group || !canMove(d.group)) return true;
      taken.push(d);
      this.queuedBytes -= d.message.payload.length;
      return false;
    });
    for (const [packetId, d] of this.inflight) {
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
    return [...this.inflight.values(), ...this.queue];
  }

  /** Drops every queued delivery (session end). */
  clearQueues(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.inflight.clear();
    this.inboundQos2.clear();
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

  private forget(delivery: Delivery): void {
    if (this.durable) this.store!.deleteDelivery(this.clientId, delivery.seq);
  }

  private storedDelivery(d: Delivery): StoredDelivery {
    return {
      clientId: this.clientId, seq: d.seq, messageId: d.message.id, qos: d.qos, retain: d.retain,
      subscriptionIds: d.subscriptionIds, packetId: d.packetId, state: d.state,
    };
  }
}
