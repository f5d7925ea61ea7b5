/**
 * Issue 15 item 4, in the part every backend shares (BufferedStore): a write
 * that fails is retried with what was staged since merged into it, commits stay
 * pending meanwhile, and once a retry succeeds the store holds exactly what a
 * store that never failed would hold.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readiness } from '../../src/broker/index.js';
import { watchStoreHealth } from '../../src/broker/store-health.js';
import { MemoryStore, type Batch } from '../../src/persistence/index.js';
import { crc32ForTest } from '../../src/persistence/row-checksum.js';
import { until } from '../durability/stream-client.js';
import { delivery, message, session } from './store-contract.js';

/** A memory store whose writes fail while `failing` is set. */
class FlakyStore extends MemoryStore {
  failing = false;
  attempts = 0;

  protected override writeBatch(batch: Batch): void {
    this.attempts++;
    if (this.failing) throw Object.assign(new Error('No space left on device'), { code: 'ENOSPC' });
    super.writeBatch(batch);
  }
}

describe('a store whose writes fail for a while', () => {
  it('keeps every staged delta across the failed attempts and ends as a store that never failed', async () => {
    const store = new FlakyStore();
    await store.open();
    await store.restore();
    const changes: boolean[] = [];
    store.onHealthChange((h) => changes.push(h.writable));
    store.failing = true;
    const m1 = message();
    const m2 = message();
    store.saveSession(session('c1'));
    store.saveMessage(m1);
    store.saveDelivery(delivery('c1', 1, m1));
    let first = false;
    void store.commit().then(() => { first = true; });
    await until(() => store.attempts >= 1, 5000, () => 'no attempt');
    // Staged while failing: a later state of the same delivery, a session made and ended, a new message.
    store.saveDelivery(delivery('c1', 1, m1, { state: 'sent', packetId: 7 }));
    store.saveSession(session('c2'));
    store.deleteSession('c2');
    store.saveMessage(m2);
    store.saveDelivery(delivery('c1', 2, m2));
    store.deleteDelivery('c1', 1);
    const second = store.commit();
    await until(() => store.attempts >= 3, 5000, () => `${store.attempts} attempts`);
    assert.equal(first, false, 'nothing resolves while the writes fail');
    assert.equal(store.pending, true);
    assert.equal(store.health.writable, false);
    assert.match(store.health.problem ?? '', /the memory store failed to write: No space left on device/);
    store.failing = false;
    await second;
    assert.equal(first, true);
    assert.deepEqual(changes, [false, true]);
    assert.equal(store.health.recoveries, 1);
    assert.ok(store.health.failedWrites >= 2);
    const state = await store.snapshot().restore();
    assert.deepEqual(state.sessions.map((s) => s.clientId), ['c1']);
    assert.deepEqual(state.deliveries.map((d) => [d.clientId, d.seq, d.messageId]), [['c1', 2, m2.id]]);
    assert.deepEqual(state.messages.map((m) => m.id), [m2.id]);
  });

  it('rejects what waits when it is closed while still failing, instead of waiting for the disk', async () => {
    const store = new FlakyStore();
    await store.open();
    await store.restore();
    store.failing = true;
    store.saveSession(session('c1'));
    const waiting = store.commit();
    await until(() => store.attempts >= 1, 5000, () => 'no attempt');
    await store.close();
    await assert.rejects(waiting, /No space left on device/);
  });

  it('holds readiness while failing, logs once and then a reminder per interval, and lets go when a retry succeeds', async () => {
    const store = new FlakyStore();
    await store.open();
    await store.restore();
    const readiness = new Readiness();
    const lines: Array<[string, string]> = [];
    const log = (level: string) => (_fields: object, message: string) => { lines.push([level, message]); };
    const stop = watchStoreHealth(store, readiness, { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') }, 100);
    store.failing = true;
    store.saveSession(session('c1'));
    await until(() => !readiness.ready, 5000, () => 'still ready');
    assert.match(readiness.reasons.join(), /store not writable: the memory store failed to write: No space left on device/);
    await new Promise((r) => setTimeout(r, 350));
    const errors = lines.filter(([level]) => level === 'error').map(([, m]) => m);
    assert.match(errors[0]!, /^store writes failing: /);
    assert.ok(errors.length >= 2 && errors.length <= 5, `one line, then one reminder per 100 ms: ${errors.length}`);
    assert.match(errors[1]!, /^store writes still failing after \d+ s \(\d+ failed attempts\)/);
    store.failing = false;
    await store.commit();
    assert.equal(readiness.ready, true);
    const after = lines.length;
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(lines.length, after, 'no reminders once writable');
    assert.match(lines[after - 1]![1], /store writable again/);
    stop();
    await store.close();
  });

  it('sums blobs with a CRC-32 that agrees with the fallback used where Node has none', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('123456789'), Buffer.alloc(1000, 0xa5)]) {
      assert.equal(crc32ForTest.fallback(bytes, 17), bytes.length === 0 ? 17 : crc32ForTest.native(bytes, 17));
    }
    assert.equal(crc32ForTest.fallback(Buffer.from('123456789'), 0), 0xcbf43926, 'the standard check value');
  });
});
