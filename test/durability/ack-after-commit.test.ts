/**
 * In process, with a store whose commits take a while: a crash is simulated by
 * starting a second broker on what the first had committed at one instant. Every
 * PUBACK the publisher had by then must be backed by that state, and PUBACKs come
 * in the order of their PUBLISH packets [MQTT-4.6.0-2] even though they wait.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MqttConnection } from '../../src/broker/index.js';
import type { Batch } from '../../src/persistence/index.js';
import { MemoryStore } from '../../src/persistence/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge } from '../helpers/midge.js';
import { persistentSubscriber, Receiver } from './crash-scenario.js';
import { StreamClient, until } from './stream-client.js';

/** A memory store whose every commit takes `delayMs`, as a slow disk would. */
class SlowStore extends MemoryStore {
  constructor(private readonly delayMs: number) {
    super();
  }

  protected override writeBatch(batch: Batch): Promise<void> {
    return new Promise((resolve) => setTimeout(() => {
      super.writeBatch(batch);
      resolve();
    }, this.delayMs));
  }
}

/** A memory store whose disk fails after `okCommits` commits. */
class FailingStore extends MemoryStore {
  constructor(private okCommits: number) {
    super();
  }

  protected override writeBatch(batch: Batch): void {
    if (this.okCommits-- <= 0) throw new Error('disk full');
    super.writeBatch(batch);
  }
}

describe('acknowledgements and commits', () => {
  it('never acknowledges a message its store failed to write, and keeps the publisher connected while it retries', async () => {
    const store = new FailingStore(0);
    const midge = await startMidge({ broker: { store } });
    try {
      const { client: sub } = await StreamClient.connect(midge.port, { clientId: 'fail-sub', clean: false });
      let subacks = 0;
      sub.onPacket((p) => { if (p.type === PacketType.SUBACK) subacks++; });
      sub.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'fail/t', qos: 1 }] });
      const { client: pub } = await StreamClient.connect(midge.port, { clientId: 'fail-pub' });
      let acks = 0;
      let closed = false;
      pub.onPacket((p) => { if (p.type === PacketType.PUBACK) acks++; });
      void pub.closed.then(() => { closed = true; });
      pub.send({ type: PacketType.PUBLISH, topic: 'fail/t', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 1 });
      await until(() => store.health.failedWrites >= 3, 10_000, () => `${store.health.failedWrites} failed writes`);
      // The SUBACK and the PUBACK both wait for a commit that keeps failing: neither is sent, nobody is thrown out.
      assert.equal(subacks, 0);
      assert.equal(acks, 0);
      assert.equal(closed, false);
      assert.equal(store.pending, true);
      assert.match(store.health.problem ?? '', /the memory store failed to write: disk full/);
      await sub.destroy();
      await pub.destroy();
    } finally {
      await midge.stop();
    }
  });

  for (const qos of [1, 2] as const) {
    it(`sends a QoS ${qos} PUBLISH to a persistent subscriber only once its packet id is on disk, so a crash causes ${qos === 1 ? 'only DUP repeats' : 'no duplicate'}`, async () => {
      const store = new SlowStore(5);
      const first = await startMidge({ broker: { store, limits: { maxQueuedMessages: 100_000 } } });
      const receiver = new Receiver();
      const sub = await persistentSubscriber(first.port, `online-q${qos}`, 'online/t', qos);
      receiver.attach(sub);
      const { client: pub } = await StreamClient.connect(first.port, { clientId: `online-pub-q${qos}` });
      let acks = 0;
      let crashed: MemoryStore | undefined;
      pub.onPacket((p) => {
        if (p.type !== PacketType.PUBACK && p.type !== PacketType.PUBREC) return;
        if (p.type === PacketType.PUBREC) pub.send({ type: PacketType.PUBREL, packetId: p.packetId });
        // The "crash" comes while the subscriber is busy receiving: what is committed now is
        // what survives, and the broker's sockets die with whatever it had not written yet.
        if (++acks === 300) {
          crashed = store.snapshot();
          for (const s of first.server.broker.sessions.values()) (s.link as MqttConnection | undefined)?.stream.destroy();
        }
      });
      for (let n = 1; n <= 600; n++) {
        pub.send({ type: PacketType.PUBLISH, topic: 'online/t', payload: Buffer.from(String(n)), qos, retain: false, dup: false, packetId: n });
      }
      await until(() => crashed !== undefined, 10_000, () => `${acks} acknowledgements`);
      await Promise.all([pub.closed, sub.closed]);
      await first.stop();
      const second = await startMidge({ broker: { store: crashed!, limits: { maxQueuedMessages: 100_000 } } });
      try {
        const { client } = await StreamClient.connect(second.port, { clientId: `online-q${qos}`, clean: false });
        receiver.attach(client);
        await receiver.settle(200);
        await client.destroy();
      } finally {
        await second.stop();
      }
      assert.ok(receiver.order.length > 0);
      assert.deepEqual(receiver.duplicates, []);
      assert.deepEqual(receiver.repeats.filter((r) => !r.dup), []);
    });
  }

  it('sends no PUBACK before the commit that holds its message, and keeps PUBACKs in order', async () => {
    const store = new SlowStore(5);
    const first = await startMidge({ broker: { store, limits: { maxQueuedMessages: 100_000 } } });
    const sub = await persistentSubscriber(first.port, 'slow-sub', 'slow/t', 1);
    await sub.disconnect();
    const { client: pub } = await StreamClient.connect(first.port, { clientId: 'slow-pub' });
    const acked: number[] = [];
    let crash: { state: MemoryStore; acked: Set<number> } | undefined;
    pub.onPacket((p) => {
      if (p.type !== PacketType.PUBACK) return;
      acked.push(p.packetId);
      // The "crash": what is committed at the moment the 1,000th PUBACK arrives.
      if (acked.length === 1000) crash = { state: store.snapshot(), acked: new Set(acked) };
    });
    for (let n = 1; n <= 2000; n++) {
      pub.send({ type: PacketType.PUBLISH, topic: 'slow/t', payload: Buffer.from(String(n)), qos: 1, retain: false, dup: false, packetId: n });
    }
    await until(() => acked.length === 2000, 20_000, () => `${acked.length} PUBACKs`);
    await pub.destroy();
    await first.stop();
    assert.deepEqual(acked, [...acked].sort((a, b) => a - b), 'PUBACKs in the order of the PUBLISH packets');

    const second = await startMidge({ broker: { store: crash!.state, limits: { maxQueuedMessages: 100_000 } } });
    try {
      const receiver = new Receiver();
      const { client } = await StreamClient.connect(second.port, { clientId: 'slow-sub', clean: false });
      receiver.attach(client);
      await until(() => [...crash!.acked].every((n) => receiver.seen.has(n)), 10_000,
        () => `${[...crash!.acked].filter((n) => !receiver.seen.has(n)).length} acknowledged messages missing`);
      await client.destroy();
    } finally {
      await second.stop();
    }
  });
});
