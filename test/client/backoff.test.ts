/** Reconnect timing and decisions, the packet identifier allocator and the message iterator. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  PacketIdAllocator, reconnectDelay, shouldReconnectAfterDisconnect, shouldRetryRefusal, type MqttMessage,
} from '../../src/client/index.js';
import { MessageQueue } from '../../src/client/message-queue.js';

describe('reconnect delays', () => {
  test('the delay doubles from the initial delay and stops at the maximum', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 };
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => reconnectDelay(n, options)), [100, 200, 400, 800, 1000, 1000]);
  });

  test('jitter takes a random share of the delay away, never more than the jitter fraction', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (attempt, r) => {
      const nominal = reconnectDelay(attempt, { initialDelayMs: 50, maxDelayMs: 5000, jitter: 0 });
      const delay = reconnectDelay(attempt, { initialDelayMs: 50, maxDelayMs: 5000, jitter: 0.5 }, () => r);
      return delay <= nominal && delay >= Math.floor(nominal / 2);
    }));
  });

  test('two clients with different random draws wait different times', () => {
    const a = reconnectDelay(3, { jitter: 0.5 }, () => 0.1);
    const b = reconnectDelay(3, { jitter: 0.5 }, () => 0.9);
    assert.notEqual(a, b);
  });
});

describe('reconnect decisions', () => {
  test('a refusal for bad credentials, a ban or a bad client identifier is not retried; an unavailable server is', () => {
    assert.equal(shouldRetryRefusal(4, 4), false);
    assert.equal(shouldRetryRefusal(5, 4), false);
    assert.equal(shouldRetryRefusal(2, 4), false);
    assert.equal(shouldRetryRefusal(3, 4), true);
    assert.equal(shouldRetryRefusal(0x86, 5), false);
    assert.equal(shouldRetryRefusal(0x8a, 5), false);
    assert.equal(shouldRetryRefusal(0x88, 5), true);
    assert.equal(shouldRetryRefusal(0x89, 5), true);
  });

  test('a session taken over by another connection is not fought over; a server shutting down is reconnected to', () => {
    assert.equal(shouldReconnectAfterDisconnect(0x8e), false);
    assert.equal(shouldReconnectAfterDisconnect(0x8b), true);
    assert.equal(shouldReconnectAfterDisconnect(0x00), true);
  });
});

describe('packet identifier allocator', () => {
  test('it hands out 1 to 65535 without repeats, then refuses until one is released', () => {
    const ids = new PacketIdAllocator();
    const seen = new Set<number>();
    for (let i = 0; i < 65_535; i++) seen.add(ids.allocate());
    assert.equal(seen.size, 65_535);
    assert.equal(seen.has(0), false);
    assert.throws(() => ids.allocate(), /all 65,535 packet identifiers are in use/);
    ids.release(1234);
    assert.equal(ids.allocate(), 1234);
  });

  test('reserved identifiers are skipped', () => {
    const ids = new PacketIdAllocator();
    ids.reserve(1);
    ids.reserve(2);
    assert.equal(ids.allocate(), 3);
  });
});

describe('message iterator', () => {
  const message = (topic: string): MqttMessage => ({ topic, payload: Buffer.from(topic), qos: 0, retain: false, dup: false });

  test('it yields buffered messages in order, then ends when closed', async () => {
    const queue = new MessageQueue(() => undefined);
    queue.push(message('a'));
    queue.push(message('b'));
    queue.close();
    const topics: string[] = [];
    for await (const m of queue) topics.push(m.topic);
    assert.deepEqual(topics, ['a', 'b']);
  });

  test('a waiting consumer gets the next message, and a filter keeps others out', async () => {
    const queue = new MessageQueue(() => undefined, 'x/+');
    const next = queue.next();
    queue.push(message('y/1'));
    queue.push(message('x/1'));
    assert.equal((await next).value?.topic, 'x/1');
  });

  test('closing with an error throws it to the consumer after the buffered messages', async () => {
    const queue = new MessageQueue(() => undefined);
    queue.push(message('a'));
    queue.close(new Error('gave up'));
    assert.equal((await queue.next()).value?.topic, 'a');
    await assert.rejects(queue.next(), /gave up/);
  });

  test('leaving the loop detaches the iterator', async () => {
    let detached = false;
    const queue = new MessageQueue(() => { detached = true; });
    queue.push(message('a'));
    for await (const m of queue) {
      assert.equal(m.topic, 'a');
      break;
    }
    assert.equal(detached, true);
  });
});
