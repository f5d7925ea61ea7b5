import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopicTree } from '../../src/admin/index.js';
import { createMessage, type BrokerMessage } from '../../src/broker/index.js';
import { startServer } from '../../src/server/index.js';

function message(topic: string, payload: string | Buffer, retain = false): BrokerMessage {
  return createMessage({
    topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), qos: 1, retain,
    properties: undefined, createdAt: Date.now(), expiresAt: undefined, origin: undefined,
  });
}

describe('the dashboard topic tree', () => {
  it('counts messages per topic and keeps the last payload and its flags', () => {
    const tree = new TopicTree(100);
    tree.record(message('a/b', 'one'));
    tree.record(message('a/b', 'two', true));
    tree.record(message('a/c', 'three'));
    const ab = tree.get('a/b')!;
    assert.deepEqual([ab.messages, ab.preview.toString(), ab.retainFlag, ab.qos], [2, 'two', true, 1]);
    assert.equal(tree.get('a/c')!.messages, 1);
  });

  it('keeps only the start of a large payload, as a copy that does not pin the original buffer', () => {
    const tree = new TopicTree(10, 8);
    const big = Buffer.alloc(1000, 'x');
    tree.record(message('big', big));
    const entry = tree.get('big')!;
    assert.equal(entry.preview.length, 8);
    assert.equal(entry.size, 1000);
    assert.notEqual(entry.preview.buffer, big.buffer);
  });

  it('forgets the least recently published topic when full, and reports it as removed', () => {
    const tree = new TopicTree(3);
    for (const t of ['t1', 't2', 't3']) tree.record(message(t, t));
    const seen = tree.changesSince(0).version;
    tree.record(message('t1', 'again'));
    tree.record(message('t4', 'new'));
    assert.equal(tree.size, 3);
    assert.equal(tree.get('t2'), undefined);
    const changes = tree.changesSince(seen);
    assert.equal(changes.full, false);
    assert.deepEqual(changes.topics.map((e) => e.topic).sort(), ['t1', 't4']);
    assert.deepEqual(changes.removed, ['t2']);
  });

  it('gives a caller the whole tree when it asks from 0, from the future, or from before the removals it remembers', () => {
    const tree = new TopicTree(1);
    tree.record(message('first', 'x'));
    const early = tree.changesSince(0).version;
    for (let i = 0; i < 1100; i++) tree.record(message(`churn/${i}`, 'x'));
    assert.equal(tree.changesSince(early).full, true, 'too old: the removal log no longer covers it');
    assert.equal(tree.changesSince(tree.changesSince(0).version + 5).full, true, 'a version from another run');
    const latest = tree.changesSince(0);
    assert.equal(latest.full, true);
    assert.deepEqual(latest.topics.map((e) => e.topic), ['churn/1099']);
  });

  it('reports a touched topic as changed without counting a message', () => {
    const tree = new TopicTree(10);
    tree.record(message('kept', 'x', true));
    const seen = tree.changesSince(0).version;
    tree.touch('kept');
    const changes = tree.changesSince(seen);
    assert.deepEqual(changes.topics.map((e) => [e.topic, e.messages]), [['kept', 1]]);
  });
});

describe('the topic tree of the admin listener', () => {
  it('is not fed at all when its size is 0, so the admin listener costs the hot path nothing', async (t) => {
    const server = await startServer({ listeners: [], sysInterval: 0, admin: { port: 0, topicTreeSize: 0 } });
    t.after(() => server.close());
    assert.equal(server.broker.hooks.has('messagePublished'), false);
    const fed = await startServer({ listeners: [], sysInterval: 0, admin: { port: 0 } });
    t.after(() => fed.close());
    assert.equal(fed.broker.hooks.has('messagePublished'), true);
    await fed.close();
    assert.equal(fed.broker.hooks.has('messagePublished'), false, 'closing the admin listener unregisters its hook');
  });
});
