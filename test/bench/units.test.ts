import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from '../../src/bench/histogram.js';
import { defaultOptions } from '../../src/bench/options.js';
import { planRun } from '../../src/bench/plan.js';

test('histogram percentiles stay within 2 % of the exact values', () => {
  const h = new Histogram();
  const values = Array.from({ length: 100_000 }, (_, i) => (i + 1) * 1000 + (i % 7));
  for (const v of values) h.record(v);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const exact = values[Math.ceil(q * values.length) - 1]!;
    assert.ok(Math.abs(h.quantileNs(q) - exact) / exact < 0.02, `q=${q}: ${h.quantileNs(q)} vs ${exact}`);
  }
  assert.equal(h.percentiles()?.maxUs, 100_000);
});

test('merged histograms count the samples of both', () => {
  const a = new Histogram();
  const b = new Histogram();
  a.record(10);
  b.record(5e9);
  a.merge(new Histogram(b.counts, b.maxNs));
  assert.equal(a.count, 2);
  assert.equal(a.maxNs, 5e9);
});

test('a fan-in plan gives the one wildcard subscriber a stream from every publisher', () => {
  const plan = planRun({ ...defaultOptions('pubsub'), clients: 50, subscribers: 1, topic: 'bench/%i', filter: 'bench/#', workers: 2 });
  assert.equal(plan.streams?.count, 50);
  assert.deepEqual(plan.workers.map((w) => [w.publishers.length, w.subscribers.length]), [[0, 1], [50, 0]]);
});

test('a sharded fleet plan sends publisher i to subscriber i mod the subscriber count (%k)', () => {
  const plan = planRun({ ...defaultOptions('pubsub'), clients: 10, subscribers: 4, topic: 'fleet/%k/%i', filter: 'fleet/%i/#', workers: 1 });
  assert.equal(plan.streams?.count, 10);
  assert.equal(plan.workers[0]!.publishers[6]!.topic, 'fleet/2/6');
  assert.deepEqual([...plan.streams!.bySubscriber[2]!].map((slot, p) => (slot >= 0 ? p : -1)).filter((p) => p >= 0), [2, 6]);
});

test('a paired plan matches publisher i with subscriber i only', () => {
  const plan = planRun({ ...defaultOptions('pubsub'), clients: 20, subscribers: 20, topic: 'p2p/%i', filter: 'p2p/%i', workers: 1 });
  assert.equal(plan.streams?.count, 20);
  assert.deepEqual(plan.streams?.byPublisher[7], [7]);
  assert.equal(plan.workers.length, 1);
});
