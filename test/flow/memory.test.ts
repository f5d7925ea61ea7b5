import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { connect, subscribe, uniq } from '../helpers/flows.js';
import { spawnMidge } from '../helpers/midge.js';
import type { RawClient } from '../helpers/raw-client.js';
import { burst } from './helpers.js';

const MiB = 1024 * 1024;
const FROZEN = 8;
const PER_CLIENT = 24 * MiB;
/** Bytes a connection's socket may buffer before it stops taking deliveries (the default high-water mark). */
const SOCKET_HIGH_WATER = MiB;
const TOTAL_CAP = 16 * MiB;
/**
 * Memory that is garbage but not yet collected: the flood is read in 64 KiB socket buffers
 * that live outside V8's heap, and V8 collects them once about 64 MiB of such memory has been
 * allocated since its last full collection; plus room for the heap itself.
 */
const UNCOLLECTED = 64 * MiB + 32 * MiB;

/** Resident memory of a process, from /proc. */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Resolves once the broker has handled everything the client sent before (it answers in order). */
async function handled(client: RawClient): Promise<void> {
  client.send({ type: PacketType.PINGREQ });
  await client.waitForPacket(PacketType.PINGRESP, 60_000);
}

/**
 * Issue 14: memory stays bounded. Eight frozen subscribers, each on its own topic,
 * could each hold 24 MiB (max_queued_bytes) of a flood of distinct messages, 192 MiB in
 * all; the broker-wide cap (max_queued_bytes_total, 16 MiB here) keeps the broker's
 * resident memory within the cap, each connection's socket buffer and what is garbage
 * but not yet collected, over what it used before the flood.
 */
describe('a flood from many publishers with frozen subscribers', () => {
  it('keeps the broker resident memory under max_queued_bytes_total plus its baseline', async (t) => {
    const midge = await spawnMidge({
      config: [
        'listener {port} 127.0.0.1', 'allow_anonymous true', 'persistence false', 'max_queued_messages 100000',
        `max_queued_bytes ${PER_CLIENT}`, `max_queued_bytes_total ${TOTAL_CAP}`, 'slow_consumer_timeout 1',
      ].join('\n'),
    });
    t.after(() => midge.stop());
    const prefix = uniq('flood');
    const clients: RawClient[] = [];
    t.after(async () => { for (const c of clients) await c.close(); });
    for (let i = 0; i < FROZEN; i++) {
      const client = await connect(midge.port);
      await subscribe(client, [[`${prefix}/${i}`, 0]]);
      client.socket.pause();
      clients.push(client);
    }
    const publishers = await Promise.all(Array.from({ length: FROZEN }, () => connect(midge.port)));
    clients.push(...publishers);
    const baseline = rss(midge.child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, rss(midge.child.pid!)); }, 20);
    try {
      // 25 MiB of distinct 16 KB messages for each frozen subscriber: more than its own bound.
      publishers.forEach((p, i) => p.socket.write(burst(`${prefix}/${i}`, 1600, 16 * 1024, 0)));
      await Promise.all(publishers.map((p) => handled(p)));
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - baseline;
    t.diagnostic(`baseline ${(baseline / MiB).toFixed(1)} MiB, peak growth ${(growth / MiB).toFixed(1)} MiB`);
    // Without the cap the queues alone could take FROZEN * PER_CLIENT (192 MiB), well above this bound.
    assert.ok(growth < TOTAL_CAP + FROZEN * SOCKET_HIGH_WATER + UNCOLLECTED, `resident memory grew by ${(growth / MiB).toFixed(1)} MiB`);
  });
});
