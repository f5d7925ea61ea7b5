/**
 * The contract every Store backend passes (memory, sqlite, and later redis):
 * what is written and committed comes back from restore() after the store is
 * closed and opened again, deltas are coalesced and messages are kept once and
 * deleted with the last delivery that refers to them.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type {
  RestoredState, Store, StoredDelivery, StoredMessage, StoredSession, StoredSubscription,
} from '../../src/broker/index.js';

/** How a backend's test file hands its stores to the contract. */
export interface StoreFixture {
  /** A new, empty store, not opened yet. */
  create(): Store | Promise<Store>;
  /** A store over the same data as `closed` (which was closed): the same object, or a new one on the same place. */
  reopen(closed: Store): Store | Promise<Store>;
  /** Removes what `create` made. */
  cleanup?(): void | Promise<void>;
}

let nextId = 1_000_000;

/** A message with a fresh id. */
export function message(fields: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: nextId++, topic: 'a/b', payload: Buffer.from(`payload-${nextId}`), qos: 1, retain: false, properties: undefined,
    createdAt: 1_700_000_000_000, expiresAt: undefined, origin: 'publisher', confidential: false, ...fields,
  };
}

export function session(clientId: string, fields: Partial<StoredSession> = {}): StoredSession {
  return { clientId, protocolVersion: 5, expiryInterval: 3600, disconnectedAt: undefined, will: undefined, username: undefined, ...fields };
}

export function delivery(clientId: string, seq: number, m: StoredMessage, fields: Partial<StoredDelivery> = {}): StoredDelivery {
  return { clientId, seq, messageId: m.id, qos: 1, retain: false, subscriptionIds: undefined, packetId: undefined, state: 'queued', ...fields };
}

function subscription(clientId: string, filter: string, fields: Partial<StoredSubscription> = {}): StoredSubscription {
  return { clientId, filter, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: undefined, ...fields };
}

const byKey = <T>(items: T[], key: (t: T) => string): T[] => [...items].sort((a, b) => key(a).localeCompare(key(b)));

/**
 * Everything a restored store holds: a store that pages queues leaves the queued
 * deliveries in the store (`paged`), so they are read back here, page by page, as
 * a returning client's session reads them.
 */
export async function restoreAll(store: Store): Promise<RestoredState> {
  const state = await store.restore();
  const paged = state.paged ?? [];
  delete state.paged;
  if (!store.paging) return state;
  const messages = new Map(state.messages.map((m) => [m.id, m]));
  for (const queue of paged) {
    for (let after = queue.afterSeq; ;) {
      const page = await store.paging.readQueued(queue.clientId, after, 100);
      if (page.lastSeq === undefined) break;
      assert.deepEqual(page.damaged, []);
      state.deliveries.push(...page.deliveries);
      for (const m of page.messages) messages.set(m.id, m);
      after = page.lastSeq;
    }
  }
  const order = (a: StoredDelivery, b: StoredDelivery) => (a.clientId === b.clientId ? a.seq - b.seq : a.clientId < b.clientId ? -1 : 1);
  state.deliveries.sort(order);
  state.messages = [...messages.values()].sort((a, b) => a.id - b.id);
  return state;
}

/** Runs the contract against one backend. */
export function storeContract(backend: string, fixture: StoreFixture): void {
  describe(`Store contract: ${backend}`, () => {
    let open: Store[] = [];

    /** A new store, opened and restored as the broker does at boot. */
    async function fresh(): Promise<Store> {
      const store = await fixture.create();
      await store.open();
      await store.restore();
      open.push(store);
      return store;
    }

    /** Commits, closes, reopens and restores: what a broker restart sees. */
    async function restart(store: Store): Promise<{ store: Store; state: RestoredState }> {
      await store.commit();
      await store.close();
      open = open.filter((s) => s !== store);
      const next = await fixture.reopen(store);
      await next.open();
      const state = await restoreAll(next);
      open.push(next);
      return { store: next, state };
    }

    afterEach(async () => {
      for (const s of open) await s.close();
      open = [];
      await fixture.cleanup?.();
    });

    it('restores nothing from a new store', async () => {
      const { state } = await restart(await fresh());
      assert.deepEqual(state, { sessions: [], subscriptions: [], messages: [], deliveries: [], inbound: [], retained: [] });
    });

    it('reports pending writes until their commit resolves', async () => {
      const store = await fresh();
      await store.commit();
      assert.equal(store.pending, false);
      store.saveSession(session('c1'));
      assert.equal(store.pending, true);
      await store.commit();
      assert.equal(store.pending, false);
    });

    it('restores a session with its expiry, user name and delayed will', async () => {
      const store = await fresh();
      const will = {
        delayInterval: 30, expiryInterval: 60,
        message: message({ id: 0, topic: 'wills/c1', payload: Buffer.from([0, 255, 1]), qos: 2, retain: true,
          properties: { contentType: 'bin', correlationData: Buffer.from([9, 8]), userProperties: [['k', 'v']] } }),
      };
      const record = session('c1', { protocolVersion: 4, expiryInterval: 0xffffffff, disconnectedAt: 1_700_000_123_456, username: 'ann', will });
      store.saveSession(record);
      store.saveSession(session('c2'));
      const { state } = await restart(store);
      assert.deepEqual(byKey(state.sessions, (s) => s.clientId), [record, session('c2')]);
    });

    it('keeps the last version of a session written several times', async () => {
      const store = await fresh();
      store.saveSession(session('c1', { expiryInterval: 10 }));
      await store.commit();
      store.saveSession(session('c1', { expiryInterval: 20 }));
      store.saveSession(session('c1', { expiryInterval: 30, disconnectedAt: 5 }));
      const { state } = await restart(store);
      assert.deepEqual(state.sessions, [session('c1', { expiryInterval: 30, disconnectedAt: 5 })]);
    });

    it('restores subscriptions with their options and forgets removed ones', async () => {
      const store = await fresh();
      store.saveSession(session('c1'));
      const kept = subscription('c1', 'a/+/c', { qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionId: 77 });
      store.saveSubscription(kept);
      store.saveSubscription(subscription('c1', 'x/#'));
      store.saveSubscription(subscription('c1', '$share/g/s/#', { qos: 0 }));
      await store.commit();
      store.deleteSubscription('c1', 'x/#');
      const { state } = await restart(store);
      assert.deepEqual(byKey(state.subscriptions, (s) => s.filter), [subscription('c1', '$share/g/s/#', { qos: 0 }), kept]);
    });

    it('restores deliveries in every state with their packet ids and subscription ids', async () => {
      const store = await fresh();
      const m = message({ qos: 2, confidential: true });
      store.saveSession(session('c1'));
      store.saveMessage(m);
      const queued = delivery('c1', 3, m, { qos: 2, subscriptionIds: [1, 268435455] });
      const sent = delivery('c1', 1, m, { qos: 1, packetId: 7, state: 'sent', retain: true });
      const released = delivery('c1', 2, m, { qos: 2, packetId: 8, state: 'released' });
      for (const d of [queued, sent, released]) store.saveDelivery(d);
      const { state } = await restart(store);
      assert.deepEqual(byKey(state.deliveries, (d) => String(d.seq)), [sent, released, queued]);
      assert.deepEqual(state.messages, [m]);
    });

    it('writes the latest state of a delivery updated after its first commit', async () => {
      const store = await fresh();
      const m = message({ qos: 2 });
      store.saveMessage(m);
      store.saveDelivery(delivery('c1', 1, m, { qos: 2 }));
      await store.commit();
      store.saveDelivery(delivery('c1', 1, m, { qos: 2, packetId: 1, state: 'sent' }));
      await store.commit();
      store.saveDelivery(delivery('c1', 1, m, { qos: 2, packetId: 1, state: 'released' }));
      const { state } = await restart(store);
      assert.deepEqual(state.deliveries, [delivery('c1', 1, m, { qos: 2, packetId: 1, state: 'released' })]);
    });

    it('keeps a message once however many deliveries refer to it', async () => {
      const store = await fresh();
      const m = message();
      for (const c of ['a', 'b', 'c']) {
        store.saveMessage(m);
        store.saveDelivery(delivery(c, 1, m));
      }
      const { state } = await restart(store);
      assert.equal(state.deliveries.length, 3);
      assert.deepEqual(state.messages, [m]);
    });

    it('deletes a message with the last delivery that refers to it', async () => {
      const store = await fresh();
      const shared = message();
      const other = message();
      store.saveMessage(shared);
      store.saveDelivery(delivery('a', 1, shared));
      store.saveMessage(shared);
      store.saveDelivery(delivery('b', 1, shared));
      store.saveMessage(other);
      store.saveDelivery(delivery('b', 2, other));
      await store.commit();
      store.deleteDelivery('a', 1);
      store.deleteDelivery('b', 2);
      const first = await restart(store);
      assert.deepEqual(first.state.messages, [shared]);
      first.store.deleteDelivery('b', 1);
      const { state } = await restart(first.store);
      assert.deepEqual(state.messages, []);
      assert.deepEqual(state.deliveries, []);
    });

    it('never writes a delivery queued and completed before its commit, nor its message', async () => {
      const store = await fresh();
      const m = message();
      store.saveMessage(m);
      store.saveDelivery(delivery('c1', 1, m));
      store.saveDelivery(delivery('c1', 1, m, { packetId: 1, state: 'sent' }));
      store.deleteDelivery('c1', 1);
      const { state } = await restart(store);
      assert.deepEqual(state.deliveries, []);
      assert.deepEqual(state.messages, []);
    });

    it('does not keep a message that no delivery refers to', async () => {
      const store = await fresh();
      store.saveMessage(message());
      const { state } = await restart(store);
      assert.deepEqual(state.messages, []);
    });

    it('restores inbound QoS 2 packet ids and forgets released ones', async () => {
      const store = await fresh();
      store.saveInbound({ clientId: 'c1', packetId: 1 });
      store.saveInbound({ clientId: 'c1', packetId: 65535 });
      store.saveInbound({ clientId: 'c2', packetId: 1 });
      await store.commit();
      store.deleteInbound('c1', 1);
      const { state } = await restart(store);
      assert.deepEqual(byKey(state.inbound, (i) => `${i.clientId}/${i.packetId}`), [
        { clientId: 'c1', packetId: 65535 }, { clientId: 'c2', packetId: 1 },
      ]);
    });

    it('deletes a session with its subscriptions, deliveries, inbound ids and the messages only it held', async () => {
      const store = await fresh();
      const shared = message();
      const own = message();
      for (const c of ['gone', 'stays']) {
        store.saveSession(session(c));
        store.saveSubscription(subscription(c, 't/#'));
        store.saveInbound({ clientId: c, packetId: 5 });
        store.saveMessage(shared);
        store.saveDelivery(delivery(c, 1, shared));
      }
      store.saveMessage(own);
      store.saveDelivery(delivery('gone', 2, own));
      await store.commit();
      store.deleteSession('gone');
      const { state } = await restart(store);
      assert.deepEqual(state.sessions.map((s) => s.clientId), ['stays']);
      assert.deepEqual(state.subscriptions.map((s) => s.clientId), ['stays']);
      assert.deepEqual(state.deliveries.map((d) => d.clientId), ['stays']);
      assert.deepEqual(state.inbound, [{ clientId: 'stays', packetId: 5 }]);
      assert.deepEqual(state.messages, [shared]);
    });

    it('keeps what a session wrote after it was deleted in the same batch', async () => {
      const store = await fresh();
      store.saveSession(session('c1', { expiryInterval: 1 }));
      store.saveSubscription(subscription('c1', 'old'));
      await store.commit();
      store.deleteSession('c1');
      store.saveSession(session('c1', { expiryInterval: 2 }));
      store.saveSubscription(subscription('c1', 'new'));
      const { state } = await restart(store);
      assert.deepEqual(state.sessions, [session('c1', { expiryInterval: 2 })]);
      assert.deepEqual(state.subscriptions.map((s) => s.filter), ['new']);
    });

    it('restores retained messages, replaced and cleared per topic', async () => {
      const store = await fresh();
      const first = message({ topic: 'r/1', retain: true, qos: 0 });
      const second = message({
        topic: 'r/1', retain: true, qos: 2, expiresAt: 1_800_000_000_000,
        properties: { payloadFormatIndicator: 1, responseTopic: 'reply', correlationData: Buffer.from('id') },
      });
      const other = message({ topic: 'r/ü/2', retain: true, payload: Buffer.from([0, 1, 2, 254, 255]), confidential: true });
      store.setRetained(first.topic, first);
      store.setRetained(other.topic, other);
      store.setRetained('r/cleared', message({ topic: 'r/cleared', retain: true }));
      await store.commit();
      store.setRetained(second.topic, second);
      store.setRetained('r/cleared', undefined);
      const { state } = await restart(store);
      assert.deepEqual(byKey(state.retained, (m) => m.topic), [second, other]);
    });

    it('commits what is staged when it is closed', async () => {
      const store = await fresh();
      store.saveSession(session('late'));
      await store.close();
      open = open.filter((s) => s !== store);
      const next = await fixture.reopen(store);
      await next.open();
      open.push(next);
      assert.deepEqual((await next.restore()).sessions, [session('late')]);
    });

    it('restores thousands of deliveries written over many turns exactly as last written', async () => {
      const store = await fresh();
      const expected = new Map<string, StoredDelivery>();
      const messages = new Map<number, StoredMessage>();
      for (let turn = 0; turn < 20; turn++) {
        for (let i = 0; i < 100; i++) {
          const seq = turn * 100 + i;
          const m = message({ payload: Buffer.alloc(i, seq % 256) });
          store.saveMessage(m);
          const d = delivery(`c${seq % 7}`, seq, m);
          store.saveDelivery(d);
          expected.set(`${d.clientId}/${seq}`, d);
          messages.set(m.id, m);
          // Every third earlier delivery completes, as PUBACKs would.
          if (seq % 3 === 0 && seq > 0) {
            const done = seq - 1;
            store.deleteDelivery(`c${done % 7}`, done);
            const gone = expected.get(`c${done % 7}/${done}`)!;
            expected.delete(`c${done % 7}/${done}`);
            messages.delete(gone.messageId);
          }
        }
        await store.commit();
      }
      const { state } = await restart(store);
      assert.equal(state.deliveries.length, expected.size);
      assert.deepEqual(byKey(state.deliveries, (d) => `${d.clientId}/${d.seq}`), byKey([...expected.values()], (d) => `${d.clientId}/${d.seq}`));
      assert.deepEqual(new Set(state.messages.map((m) => m.id)), new Set(messages.keys()));
    });
  });
}
