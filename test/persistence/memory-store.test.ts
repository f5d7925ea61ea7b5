import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Broker, type Store } from '../../src/broker/index.js';
import { MemoryStore } from '../../src/persistence/index.js';
import { delivery, message, session, storeContract } from './store-contract.js';

storeContract('memory', {
  create: () => new MemoryStore(),
  // The memory store survives a close: the same object is opened again.
  reopen: (closed: Store) => closed,
});

describe('MemoryStore', () => {
  it('holds a message once for many deliveries and lets it go with the last one', async () => {
    const store = new MemoryStore();
    await store.open();
    await store.restore();
    const m = message();
    store.saveMessage(m);
    store.saveDelivery(delivery('a', 1, m));
    store.saveMessage(m);
    store.saveDelivery(delivery('b', 1, m));
    await store.commit();
    assert.equal(store.messageCount, 1);
    store.deleteDelivery('a', 1);
    await store.commit();
    assert.equal(store.messageCount, 1);
    store.deleteDelivery('b', 1);
    await store.commit();
    assert.equal(store.messageCount, 0);
    await store.close();
  });

  it('gives a broker started again on the same store object the sessions of the first', async () => {
    const store = new MemoryStore();
    const first = new Broker({ store });
    await first.start();
    store.saveSession(session('kept'));
    await first.close();
    const second = new Broker({ store });
    await second.start();
    assert.ok(second.sessions.get('kept'));
    await second.close();
  });
});
