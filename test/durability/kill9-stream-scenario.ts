/**
 * The kill -9 stream scenario of the kill9-stream-*.test.ts files. Issue 5: once midge has sent PUBACK or PUBREC for a message, every matching
 * persistent subscriber gets it, even when the broker is killed with SIGKILL at
 * any point of a stream and started again on the same data directory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamClient, until } from './stream-client.js';
import {
  dataDir, killHard, persistentSubscriber, publishStream, Receiver, spawnDurable,
} from './crash-scenario.js';

const TOTAL = 5000;
const WINDOW = 500;
const TOPIC = 'durable/stream';

/** One kill -9 run. */
export interface Scenario {
  qos: 1 | 2;
  /** Fraction of the stream acknowledged when the kill is sent. */
  killAt: number;
  /** The subscriber stays connected (receiving and acknowledging) while the broker is killed. */
  online: boolean;
  args?: string[];
}

/** Runs one scenario: a stream, a kill -9 at a point, a restart, the subscriber back. */
export async function run(s: Scenario): Promise<{ acked: Set<number>; receiver: Receiver }> {
  const data = dataDir();
  const clientId = `durable-sub-q${s.qos}`;
  const receiver = new Receiver();
  const first = await spawnDurable(data.path, s.args);
  try {
    const sub = await persistentSubscriber(first.port, clientId, TOPIC, s.qos);
    if (s.online) receiver.attach(sub);
    else await sub.disconnect();
    let killing = false;
    const acked = await publishStream(first.port, {
      topic: TOPIC, qos: s.qos, total: TOTAL, window: WINDOW,
      onAck: (n) => {
        if (!killing && n >= TOTAL * s.killAt) {
          killing = true;
          void first.kill9();
        }
      },
    });
    await killHard(first);
    const second = await spawnDurable(data.path, s.args);
    try {
      const { client, connack } = await StreamClient.connect(second.port, { clientId, clean: false });
      assert.equal(connack.sessionPresent, true, 'the session survived the kill');
      receiver.attach(client);
      await until(() => [...acked].every((n) => receiver.seen.has(n)), 30_000,
        () => `${[...acked].filter((n) => !receiver.seen.has(n)).length} of ${acked.size} acknowledged messages missing`);
      await receiver.settle(300);
      await client.disconnect();
    } finally {
      await second.stop();
    }
    return { acked, receiver };
  } finally {
    await killHard(first);
    data.remove();
  }
}

/** Every acknowledged message arrived, in order, with QoS 1 repeats marked DUP and no QoS 2 repeat. */
export function assertDelivered(acked: Set<number>, r: Receiver, qos: 1 | 2): void {
  assert.ok(acked.size > 0, 'the kill came after some acknowledgements');
  const missing = [...acked].filter((n) => !r.seen.has(n));
  assert.deepEqual(missing, [], 'every acknowledged message is delivered');
  assert.ok(r.order.every((n) => n >= 1 && n <= TOTAL), 'only published messages are delivered');
  assert.ok(r.order.every((n, i) => i === 0 || n > r.order[i - 1]!), 'messages arrive in the order they were published');
  if (qos === 1) {
    assert.deepEqual(r.repeats.filter((x) => !x.dup), [], 'a QoS 1 message is only repeated with DUP set');
  } else {
    assert.deepEqual(r.duplicates, [], 'a QoS 2 message is delivered once');
    assert.deepEqual(r.repeats, [], 'a QoS 2 message is delivered once');
  }
}

/** The kill -9 tests of one QoS: kills at 10, 50 and 90 % for a returning subscriber, and one for a subscriber online throughout. */
export function killNineSuite(qos: 1 | 2, more?: () => void): void {
  describe(`kill -9 in the middle of a QoS ${qos} stream`, () => {
    for (const killAt of [0.1, 0.5, 0.9]) {
      it(`delivers every QoS ${qos} message acknowledged before a kill at ${killAt * 100}% to the persistent subscriber that returns`, async () => {
        const { acked, receiver } = await run({ qos, killAt, online: false });
        assertDelivered(acked, receiver, qos);
      });
    }
    it(`delivers every QoS ${qos} message acknowledged before a kill to a subscriber that was receiving when it came`, async () => {
      const { acked, receiver } = await run({ qos, killAt: 0.5, online: true });
      assertDelivered(acked, receiver, qos);
    });
    more?.();
  });
}
