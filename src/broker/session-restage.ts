import type { Store } from './ports/store.js';
import type { Session } from './session.js';
import { storedSubscription, toStoredMessage } from './stored.js';

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
