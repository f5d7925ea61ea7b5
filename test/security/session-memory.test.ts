import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { defaultLimits } from '../../src/broker/index.js';
import { startMidge } from '../helpers/midge.js';
import { connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes held in Buffers after a full collection. */
function bufferBytes(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

const MiB = 1024 * 1024;

describe('what offline sessions hold is bounded, and freed when they go', () => {
  it('queues at most max_queued_bytes (64 MiB by default) for an offline session, and frees it all when the session is deleted', async (t) => {
    assert.equal(defaultLimits.maxQueuedBytes, 64 * MiB);
    const midge = await startMidge();
    t.after(() => midge.stop());
    const before = bufferBytes();
    for (const clientId of ['away-1', 'away-2']) {
      const client = await connectMqttJs(midge.port, { clientId, clean: false });
      await client.subscribeAsync('big/#', { qos: 1 });
      await endMqttJs(client);
    }
    const publisher = await connectMqttJs(midge.port);
    // 150 distinct messages of 512 KiB: 75 MiB for each offline session.
    for (let i = 0; i < 150; i++) await publisher.publishAsync(`big/${i}`, Buffer.alloc(512 * 1024, i), { qos: 1 });
    await endMqttJs(publisher);
    const broker = midge.server.broker;
    for (const clientId of ['away-1', 'away-2']) {
      const held = broker.sessions.get(clientId)!.pendingMessages().reduce((n, d) => n + d.message.payload.length, 0);
      assert.ok(held <= 64 * MiB, `${clientId} holds ${(held / MiB).toFixed(1)} MiB`);
      assert.ok(held >= 60 * MiB, 'up to the limit');
    }
    assert.ok((broker.stats.droppedByReason.get('queue-full') ?? 0) >= 2 * 22, 'the rest was dropped and counted');
    const queued = bufferBytes() - before;
    for (const clientId of ['away-1', 'away-2']) broker.sessions.end(broker.sessions.get(clientId)!, false);
    const left = bufferBytes() - before;
    assert.ok(left < 4 * MiB, `after deleting the sessions ${(left / MiB).toFixed(1)} MiB of ${(queued / MiB).toFixed(1)} MiB are still held`);
  });
});
