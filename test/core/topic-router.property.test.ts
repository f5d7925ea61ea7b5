/**
 * Property tests of the broker's topic router (src/broker/router/topic-router.ts) against
 * the reference matcher of src/protocol/topic.ts: for any subscriptions, shared ones
 * included, any topic matches exactly the subscriptions the reference says, each
 * subscriber once, each shared group once [MQTT-4.7.1-1] [MQTT-4.7.2-1] [MQTT-4.8.2-1]; and
 * removing subscriptions (and the router's match cache) never changes that.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TopicRouter, plainSubscription, subscriptionEntry, type Subscriber } from '../../src/broker/index.js';
import { parseSharedFilter, topicMatches } from '../../src/protocol/index.js';

/** Few distinct levels, so filters and topics collide often. */
const level = fc.constantFrom('a', 'b', 'c', '');
const topic = fc.tuple(fc.constantFrom('a', 'b', '$SYS', ''), fc.array(level, { maxLength: 3 }))
  .map(([first, rest]) => [first, ...rest].join('/'));
const filterLevels = fc.array(fc.constantFrom('a', 'b', 'c', '', '+'), { minLength: 1, maxLength: 4 });
const plainFilter = fc.tuple(filterLevels, fc.boolean()).map(([levels, multi]) => [...levels, ...(multi ? ['#'] : [])].join('/'))
  .chain((filter) => fc.constantFrom(filter, '#', '+/#'));
const filter = fc.oneof(
  { weight: 3, arbitrary: plainFilter },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('g1', 'g2'), plainFilter).map(([group, f]) => `$share/${group}/${f}`) },
);
const subscription = fc.record({ client: fc.constantFrom('c1', 'c2', 'c3', 'c4'), filter });

/** What the reference matcher says a topic reaches: subscriber -> filters, and shared groups. */
function expected(subs: ReadonlyMap<string, { client: string; filter: string }>, topicName: string) {
  const bySubscriber = new Map<string, Set<string>>();
  const groups = new Set<string>();
  for (const { client, filter: f } of subs.values()) {
    const shared = parseSharedFilter(f);
    if (!topicMatches(shared ? shared.filter : f, topicName)) continue;
    if (shared) groups.add(`${shared.group} ${shared.filter}`);
    else bySubscriber.set(client, (bySubscriber.get(client) ?? new Set()).add(f));
  }
  return { bySubscriber, groups };
}

function actual(router: TopicRouter<Subscriber>, topicName: string) {
  const result = router.match(topicName);
  const bySubscriber = new Map<string, Set<string>>();
  for (const { subscriber, entries } of result.bySubscriber) {
    assert.ok(!bySubscriber.has(subscriber.clientId), `${subscriber.clientId} appears twice for ${topicName}`);
    bySubscriber.set(subscriber.clientId, new Set(entries.map((e) => e.filter)));
  }
  const groups = new Set(result.groups.map((g) => `${g.group} ${g.matchFilter}`));
  assert.equal(groups.size, result.groups.length, `a shared group appears twice for ${topicName}`);
  return { bySubscriber, groups };
}

const subscribers = new Map<string, Subscriber>(['c1', 'c2', 'c3', 'c4'].map((id) => [id, { clientId: id }]));

describe('the topic router against the reference matcher', () => {
  it('matches every topic to exactly the subscriptions and shared groups the reference matcher names', () => {
    fc.assert(fc.property(fc.array(subscription, { maxLength: 25 }), fc.array(topic, { minLength: 1, maxLength: 10 }), (subs, topics) => {
      const router = new TopicRouter<Subscriber>();
      const current = new Map<string, { client: string; filter: string }>();
      for (const s of subs) {
        router.add(subscriptionEntry(subscribers.get(s.client)!, s.filter, plainSubscription(1)));
        current.set(`${s.client} ${s.filter}`, s);
      }
      assert.equal(router.size, current.size, 'a repeated subscription replaces the earlier one [MQTT-3.8.4-3]');
      for (const t of topics) assert.deepEqual(actual(router, t), expected(current, t), `topic '${t}'`);
    }), { numRuns: 300 });
  });

  it('keeps matching as the reference says while subscriptions come and go, its cache included', () => {
    const step = fc.oneof(
      subscription.map((s) => ({ op: 'add' as const, ...s })),
      subscription.map((s) => ({ op: 'remove' as const, ...s })),
      topic.map((t) => ({ op: 'match' as const, topic: t })),
    );
    fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const router = new TopicRouter<Subscriber>(8);
      const current = new Map<string, { client: string; filter: string }>();
      for (const s of steps) {
        if (s.op === 'match') {
          assert.deepEqual(actual(router, s.topic), expected(current, s.topic), `topic '${s.topic}'`);
          continue;
        }
        const key = `${s.client} ${s.filter}`;
        if (s.op === 'add') {
          router.add(subscriptionEntry(subscribers.get(s.client)!, s.filter, plainSubscription(0)));
          current.set(key, s);
        } else {
          const removed = router.remove(subscribers.get(s.client)!, s.filter);
          assert.equal(removed !== undefined, current.delete(key), `removing ${key}`);
        }
        assert.equal(router.size, current.size);
      }
    }), { numRuns: 300 });
  });
});
