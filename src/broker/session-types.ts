import type { BrokerMessage } from './message.js';
import type { FlowControl } from './flow-control.js';
import type { SessionLink } from './ports/session-link.js';
import type { QueuePager } from './queue-paging.js';
import type { StoredDelivery } from './ports/store.js';
import type { Recipient, SharedGroup } from './router/types.js';
import type { Session } from './session.js';

/**
 * A QoS 1/2 delivery waiting for a slot in the inflight window, or in flight: the
 * store's record of it, holding the message itself rather than its id.
 */
export interface Delivery extends Omit<StoredDelivery, 'clientId' | 'messageId'> {
  message: BrokerMessage;
  /** The shared subscription it came through, so it can move to another member (section 4.8.2). */
  group?: SharedGroup<Recipient>;
}

/**
 * Why a message was not delivered to a session; counted by the broker. `queue-full`:
 * a bound of the session (`max_queued_messages`, `max_queued_bytes`) was full while
 * it was offline or slow (or, for QoS 0, full at all); `memory-limit`: the broker-wide
 * cap on queued bytes was reached while it was offline or slow; `not-authorized`: the
 * connected client may not read it (see {@link SessionEvents.mayReceive}).
 */
export type DropReason = 'queue-full' | 'memory-limit' | 'expired' | 'offline-qos0' | 'too-large' | 'not-authorized';

/** What a session reports back to the broker. */
export interface SessionEvents {
  dropped(session: Session, reason: DropReason, message: BrokerMessage): void;
  /** A confidential message was kept from a link that is not encrypted. */
  withheld(session: Session, message: BrokerMessage): void;
  /**
   * May this message go to the client on `link` now? Asked the moment a QoS 1/2
   * PUBLISH is transmitted (queued, restored, in flight or resent), so that whoever is
   * connected, after a takeover or an ACL reload, gets only what they may read.
   */
  mayReceive(session: Session, link: SessionLink, message: BrokerMessage): boolean;
  /** Backpressure and slow-consumer state, shared by every session. */
  readonly flow: FlowControl;
  /** Present when the store pages queues (see queue-paging.ts). */
  readonly pager?: QueuePager;
}

/**
 * Deliveries that wait for room rather than being queued at once: the retained
 * messages a new subscription asks for. `pour` delivers while the session
 * {@link Session.acceptsMore} and returns true once nothing is left.
 */
export interface PacedDeliveries {
  pour(session: PaceTarget): boolean;
}

/** What paced deliveries pour into (a `Session`): a recipient that says when it takes more. */
export interface PaceTarget extends Recipient {
  /** Online, under its low-water mark, room in its queue. */
  acceptsMore(): boolean;
}

/** Session limits, fixed when the session (re)connects. */
export interface SessionLimits {
  /** Outgoing QoS 1/2 messages in flight: min(ours, the client's Receive Maximum). */
  inflightWindow: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
}
