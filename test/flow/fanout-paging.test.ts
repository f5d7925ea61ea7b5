import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PacketType } from '../../src/protocol/index.js';
import { connect, subscribe, uniq } from '../helpers/flows.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { burst, pubacks } from './helpers.js';

const MiB = 1024 * 1024;
const SESSIONS = 300;
/** More than two pages (500) of each queue, so a returning client's queue is read back from the store in parts. */
const MESSAGES = 1200;
/** The broker-wide cap on queued bytes; in-memory queues page to the store past half of it. */
const TOTAL_CAP = 8 * MiB;
/** What the store may hold staged before it writes between two publishes (200,000 deliveries) and the heap's slack. */
const STAGED_AND_SLACK = 96 * MiB;
/** An idle broker that has opened a store with nothing in memory: its own code, SQLite and the heap's slack. */
const IDLE_BROKER = 128 * MiB;

/** Peak resident memory of a process so far (VmHWM) and now (VmRSS), from /proc. */
function memory(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  const kb = (key: string) => Number(status.find((l) => l.startsWith(key))!.split(/\s+/)[1]) * 1024;
  return { peak: kb('VmHWM:'), now: kb('VmRSS:') };
}

/**
 * Issue 15, item 5: a huge fan-out to offline persistent sessions. 300 sessions
 * share one filter and are offline while 1,200 QoS 1 messages are published to
 * it (360,000 deliveries, far more than the 8 MiB cap on queued bytes holds in
 * memory). Their queues live in the store, not in memory; the broker restarts on
 * the store within the same budget; a returning client reads its whole queue,
 * page after page, in order.
 */
describe('a fan-out to many offline persistent sessions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midge-fanout-'));
  const config = [
    'listener {port} 127.0.0.1', 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/store`,
    'max_queued_messages 100000', 'max_queued_bytes 0', `max_queued_bytes_total ${TOTAL_CAP}`,
  ].join('\n');
  const topic = uniq('fan');
  const ids = Array.from({ length: SESSIONS }, (_, i) => `${topic}-s${i}`);
  let midge: SpawnedMidge | undefined;
  after(async () => {
    await midge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues every delivery, dropping none, while the broker memory stays within the cap and what the store may stage', async (t) => {
    midge = await spawnMidge({ config, cwd: dir });
    for (let i = 0; i < SESSIONS; i += 50) {
      await Promise.all(ids.slice(i, i + 50).map(async (clientId) => {
        const client = await connect(midge!.port, { clientId, clean: false });
        await subscribe(client, [[`${topic}/#`, 1]]);
        client.send({ type: PacketType.DISCONNECT });
        await client.close();
      }));
    }
    const publisher = await connect(midge.port);
    const pid = midge.child.pid!;
    const before = memory(pid).now;
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, memory(pid).now); }, 20);
    try {
      // Payloads are the message numbers as text: what mosquitto_sub prints.
      publisher.socket.write(burst(`${topic}/x`, MESSAGES, 0, 1));
      await pubacks(publisher, MESSAGES, 120_000);
    } finally {
      clearInterval(sampler);
      await publisher.close();
    }
    const growth = peak - before;
    t.diagnostic(`resident memory grew by ${(growth / MiB).toFixed(1)} MiB`);
    // Before queues paged, the cap made the broker drop (`memory-limit`) what it could not hold.
    assert.doesNotMatch(midge.output(), /messages dropped/);
    assert.ok(growth < TOTAL_CAP + STAGED_AND_SLACK,
      `resident memory grew by ${(growth / MiB).toFixed(1)} MiB for ${SESSIONS * MESSAGES} queued deliveries`);
  });

  it('restarts on that store within the memory of an idle broker and the cap', async (t) => {
    await midge!.stop();
    midge = await spawnMidge({ config, cwd: dir });
    const { peak } = memory(midge.child.pid!);
    t.diagnostic(`the restarted broker peaked at ${(peak / MiB).toFixed(1)} MiB`);
    assert.ok(peak < IDLE_BROKER + TOTAL_CAP, `the restarted broker peaked at ${(peak / MiB).toFixed(1)} MiB`);
  });

  it('gives a returning client every queued message, in order, read back from the store page after page', async () => {
    const port = String(midge!.port);
    const returning = [ids[0]!, ids[SESSIONS - 1]!];
    const outputs = await Promise.all(returning.map((id) => promisify(execFile)('mosquitto_sub', [
      '-h', '127.0.0.1', '-p', port, '-i', id, '-c', '-q', '1', '-t', `${topic}/#`, '-C', String(MESSAGES), '-W', '60',
    ])));
    const expected = Array.from({ length: MESSAGES }, (_, i) => String(i));
    for (const { stdout } of outputs) assert.deepEqual(stdout.trim().split('\n'), expected);
  });
});
