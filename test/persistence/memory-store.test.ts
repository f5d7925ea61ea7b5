import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/broker/index.js';
import { MemoryStore } from '../../src/persistence/index.js';
import { PacketType, type Packet, type PacketOf } from '../../src/protocol/index.js';
import { persistentSubscriber } from '../durability/crash-scenario.js';
import { StreamClient } from '../durability/stream-client.js';
import { startMidge } from '../helpers/midge.js';
import { delivery, message, storeContract } from './store-contract.js';

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

  it('gives a broker started again on the same store object the sessions, queues and retained messages of the first', async () => {
    const store = new MemoryStore();
    const first = await startMidge({ broker: { store } });
    const sub = await persistentSubscriber(first.port, 'kept', 'mem/#', 1);
    await sub.disconnect();
    const { client: pub } = await StreamClient.connect(first.port, { clientId: 'mem-pub' });
    await pub.waitFor((p): p is Packet => p.type === PacketType.PUBACK, 5000, 'PUBACK', () => {
      pub.send({ type: PacketType.PUBLISH, topic: 'mem/r', payload: Buffer.from('queued and retained'), qos: 1, retain: true, dup: false, packetId: 1 });
    });
    await pub.destroy();
    await first.stop();

    const second = await startMidge({ broker: { store } });
    try {
      assert.equal(second.server.broker.retained.get('mem/r')?.payload.toString(), 'queued and retained');
      const { client, connack } = await StreamClient.connect(second.port, { clientId: 'kept', clean: false });
      assert.equal(connack.sessionPresent, true);
      const publish = await client.waitFor((p): p is PacketOf<3> => p.type === PacketType.PUBLISH, 5000, 'the queued message');
      assert.equal(publish.payload.toString(), 'queued and retained');
      await client.destroy();
    } finally {
      await second.stop();
    }
  });
});
