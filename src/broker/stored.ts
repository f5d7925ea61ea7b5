import { createMessage, type BrokerMessage } from './message.js';
import type { Store, StoredMessage, StoredSubscription } from './ports/store.js';
import type { SubscriptionEntry } from './router/types.js';
import type { Session } from './session.js';

/** The store's view of a broker message (no encoding caches). */
export function toStoredMessage(m: BrokerMessage): StoredMessage {
  return {
    id: m.id, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, properties: m.properties,
    createdAt: m.createdAt, expiresAt: m.expiresAt, origin: m.origin, confidential: m.confidential,
  };
}

/** A broker message rebuilt from the store. */
export function fromStoredMessage(m: StoredMessage): BrokerMessage {
  return createMessage({ ...m });
}

/** The store's record of one subscription of a session. */
export function storedSubscription(session: Session, e: SubscriptionEntry<Session>): StoredSubscription {
  return {
    clientId: session.clientId, filter: e.filter, qos: e.qos, noLocal: e.noLocal,
    retainAsPublished: e.retainAsPublished, retainHandling: e.retainHandling, subscriptionId: e.subscriptionId,
  };
}

/**
 * Stages every record of a persistent session afresh from memory (its records in
 * the store are replaced): for a store that lost them, as a cluster's Redis that
 * restarted without its data. The next commit holds the session as it is now.
 */
export function restageSession(store: Store, session: Session): void {
  const clientId = session.clientId;
  store.deleteSession(clientId);
  store.saveSession(session.record());
  for (const entry of session.subscriptions.values()) store.saveSubscription(storedSubscription(session, entry));
  for (const packetId of session.inboundQos2) store.saveInbound({ clientId, packetId });
  for (const d of session.pendingMessages()) {
    store.saveMessage(toStoredMessage(d.message));
    store.saveDelivery({
      clientId, seq: d.seq, messageId: d.message.id, qos: d.qos, retain: d.retain,
      subscriptionIds: d.subscriptionIds, packetId: d.packetId, state: d.state,
    });
  }
}
