import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, disconnect, uniq } from '../helpers/flows.js';
import { requireBinary } from '../helpers/external.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { burst, drops, frozenSubscriber, pahoSubscriber, pubacks, PYTHON } from './helpers.js';

/**
 * Issue 14: a subscriber that keeps up receives every message of a burst, even with a
 * frozen subscriber on the same topic; the frozen one is declared slow, holds nobody
 * from then on, and what its bounds cannot hold is dropped and counted. Small bounds
 * make them bite quickly.
 */
const LIMITS = {
  socketHighWaterMark: 256 * 1024, maxQueuedMessages: 10_000, maxQueuedBytes: 2 * 1024 * 1024, slowConsumerTimeout: 1,
};

describe('a burst with a steady and a frozen subscriber', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { limits: LIMITS } });
  });
  after(() => midge.stop());

  for (const qos of [0, 1] as const) {
    const count = qos === 0 ? 20_000 : 10_000;
    it(`delivers all ${count} QoS ${qos} messages of 1 KB written in one go to a steady paho subscriber, and counts the frozen one's drops once it is slow`, async (t) => {
      if (!requireBinary(t, PYTHON)) return;
      const broker = midge.server.broker;
      const topic = uniq(`burst${qos}`);
      const frozen = await frozenSubscriber(midge.port, topic, qos);
      const steady = await pahoSubscriber(midge.port, topic, qos, count);
      t.after(() => steady.kill());
      const before = drops(broker, 'queue-full');
      const pub = await connect(midge.port);
      pub.socket.write(burst(topic, count, 1024, qos));
      const got = await steady.result;
      assert.deepEqual(got, { received: count, inOrder: true }, 'the steady subscriber got every message, in order');
      if (qos === 1) await pubacks(pub, count);
      const session = broker.sessions.get(frozen.clientId)!;
      assert.equal(session.flow.slow, true, 'the frozen subscriber was declared slow');
      assert.ok(drops(broker, 'queue-full') > before, 'what the frozen subscriber could not hold was dropped and counted');
      assert.ok((session.flow.dropped?.['queue-full'] ?? 0) > 0, 'the drops are counted against the frozen client');
      assert.ok(session.queuedPayloadBytes <= LIMITS.maxQueuedBytes + 64 * 1024, `${session.queuedPayloadBytes} bytes queued for it`);
      assert.equal(broker.flow.stats().publishersPaused, 0, 'once it is slow, no publisher waits on it');
      await disconnect(pub);
      await frozen.client.close();
    });
  }
});
