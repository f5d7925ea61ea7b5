import type { BrokerMessage } from './message.js';
import type { StoredDelivery } from './ports/store.js';
import type { Recipient, SharedGroup } from './router/types.js';
import type { ReadChecked } from './session-queue.js';

/**
 * A QoS 1/2 delivery waiting for a slot in the inflight window, or in flight: the
 * store's record of it, holding the message itself rather than its id.
 */
export interface Delivery extends Omit<StoredDelivery, 'clientId' | 'messageId'>, ReadChecked {
  message: BrokerMessage;
  /** The shared subscription it came through, so it can move to another member (section 4.8.2). */
  group?: SharedGroup<Recipient>;
}

/**
 * Why a message was not delivered to a session; counted by the broker. `queue-full`:
 * a bound of the session (`max_queued_messages`, `max_queued_bytes`) was full while
 * it was offline or slow (or, for QoS 0, full at all); `memory-limit`: the broker-wide
 * cap on queued bytes was reached while it was offline or slow; `not-authorized`: the
 * connected client may not read it (see `SessionEvents.mayReceive` in session.ts).
 */
export type DropReason = 'queue-full' | 'memory-limit' | 'expired' | 'offline-qos0' | 'too-large' | 'not-authorized';

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

/** One frozen {@link SessionLimits} per distinct value, shared by the sessions that have it. */
const sharedLimits = new Map<string, SessionLimits>();
let lastLimits: SessionLimits | undefined;

/**
 * The limits with these values, shared: nearly every session has the broker's, and an
 * object each costs 48 bytes per connection (issue 19). Frozen: limits are replaced, never changed.
 */
export function sessionLimitsOf(inflightWindow: number, maxQueuedMessages: number, maxQueuedBytes: number): SessionLimits {
  // Every CONNECT asks, nearly always for the last value: answered without making the key (issue 19).
  const last = lastLimits;
  if (last && last.inflightWindow === inflightWindow && last.maxQueuedMessages === maxQueuedMessages && last.maxQueuedBytes === maxQueuedBytes) return last;
  const key = `${inflightWindow}/${maxQueuedMessages}/${maxQueuedBytes}`;
  let limits = sharedLimits.get(key);
  if (!limits) {
    limits = Object.freeze({ inflightWindow, maxQueuedMessages, maxQueuedBytes });
    sharedLimits.set(key, limits);
  }
  lastLimits = limits;
  return limits;
}
