import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache } from '../../src/auth/bounded-cache.js';
import { ConcurrencyLimit } from '../../src/auth/concurrency-limit.js';

describe('BoundedCache', () => {
  it('forgets the least recently used entry when full and reports it', () => {
    const evicted: string[] = [];
    const cache = new BoundedCache<string, number>(2, (key) => evicted.push(key));
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1);
    cache.set('c', 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    assert.deepEqual(evicted, ['b']);
    assert.equal(cache.size, 2);
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new BoundedCache(0), RangeError);
  });
});

describe('ConcurrencyLimit', () => {
  it('never runs more jobs at once than its limit and runs them all in order', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const jobs = Array.from({ length: 5 }, (_, i) =>
      limit.run(async () => {
        running++;
        peak = Math.max(peak, running);
        started.push(i);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return i;
      }),
    );
    for (let released = 0; released < 5; released++) {
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(running <= 2, `${running} jobs running`);
      const release = gates.shift();
      assert.ok(release, 'a job should be waiting to finish');
      release();
    }
    assert.deepEqual(await Promise.all(jobs), [0, 1, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
  });

  it('frees its slot when a job fails', async () => {
    const limit = new ConcurrencyLimit(1);
    await assert.rejects(limit.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await limit.run(() => Promise.resolve('next')), 'next');
  });
});
