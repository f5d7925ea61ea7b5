import { createMessage, type BrokerMessage } from './message.js';
import type { StoredMessage, StoredSubscription } from './ports/store.js';
import type { SubscriptionEntry } from './router/types.js';

/** The store's view of a broker message (no encoding caches). */
export function toStoredMessage(m: BrokerMessage): StoredMessage {
  return {
    id: m.id, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, properties: m.properties,
    createdAt: m.createdAt, expiresAt: m.expiresAt, origin: m.origin, confidential: m.confidential,
  };
}

/** A broker message rebuilt from the store. */
export function fromStoredMessage(m: StoredMessage): BrokerMessage {
  return createMessage(m);
}

/** The store's record of one subscription of a session. */
export function storedSubscription(session: { readonly clientId: string }, e: SubscriptionEntry): StoredSubscription {
  return {
    clientId: session.clientId, filter: e.filter, qos: e.qos, noLocal: e.noLocal,
    retainAsPublished: e.retainAsPublished, retainHandling: e.retainHandling, subscriptionId: e.subscriptionId,
  };
}
