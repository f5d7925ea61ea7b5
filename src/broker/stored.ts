import { createMessage, type BrokerMessage } from './message.js';
import type { StoredMessage } from './ports/store.js';

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
