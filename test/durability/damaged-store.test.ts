/**
 * Issue 15 item 3, end to end: `midge broker` refuses to start on a store that
 * was emptied, deleted, cut short (its -wal deleted or damaged after a kill -9)
 * or changed (bytes of a payload overwritten), naming the file and what to do;
 * `midge store check|export|repair` say what is wrong, save what is intact and
 * make the store usable again, reporting what was lost.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PacketType, type Packet } from '../../src/protocol/index.js';
import { runCli } from '../cli/run-cli.js';
import { dataDir, killHard, persistentSubscriber, publishStream, Receiver, spawnDurable } from './crash-scenario.js';
import { StreamClient } from './stream-client.js';

const TOPIC = 'damaged/stream';

/** A store holding a persistent subscriber's queue of `total` messages; the broker is then stopped the given way. */
async function fillStore(data: string, total: number, stop: 'kill' | 'term', payload?: (n: number) => string): Promise<Set<number>> {
  const broker = await spawnDurable(data);
  try {
    const sub = await persistentSubscriber(broker.port, 'damaged-sub', TOPIC, 1);
    await sub.disconnect();
    const acked = await publishStream(broker.port, { topic: TOPIC, qos: 1, total, window: 50 });
    // A few more, one commit each, so that the last commits are in the WAL whatever checkpoints ran before.
    const { client } = await StreamClient.connect(broker.port, { clientId: 'one-by-one', clean: true });
    for (let n = total + 1; n <= total + 5; n++) {
      await client.waitFor((p): p is Packet => p.type === PacketType.PUBACK, 5000, 'PUBACK', () => {
        client.send({ type: PacketType.PUBLISH, topic: TOPIC, payload: Buffer.from(payload?.(n) ?? String(n)), qos: 1, retain: false, dup: false, packetId: n });
      });
      acked.add(n);
    }
    await client.destroy();
    return acked;
  } finally {
    if (stop === 'kill') await killHard(broker);
    else await broker.stop();
  }
}

describe('midge broker on a damaged store', () => {
  for (const damage of ['deleted', 'damaged'] as const) {
    it(`refuses a store whose -wal was ${damage} after a kill -9; store check says so (exit 2) and store repair lets it start`, async () => {
      const data = dataDir();
      try {
        await fillStore(data.path, 300, 'kill');
        const wal = join(data.path, 'midge.db-wal');
        assert.ok(existsSync(wal), 'the kill left a WAL');
        if (damage === 'deleted') unlinkSync(wal);
        else {
          const bytes = readFileSync(wal);
          bytes.fill(0x5a, bytes.length - 3000, bytes.length - 2984);
          writeFileSync(wal, bytes);
        }
        await assert.rejects(spawnDurable(data.path),
          /cannot open the store .*midge\.db: it ends at commit \d+, but .*midge\.db-marker recorded commit \d+: its last \d+ commits?, acknowledged messages among them, are missing/);
        const check = await runCli(['store', 'check', data.path]);
        assert.equal(check.code, 2, check.stderr);
        assert.match(check.stdout.toString(), /problem: it ends at commit \d+[\s\S]*what to do: .*midge store repair[\s\S]*damaged: midge will not start on it/);
        const repair = await runCli(['store', 'repair', data.path]);
        assert.equal(repair.code, 0, repair.stderr);
        assert.match(repair.stdout.toString(), /copied the store to .*midge\.db\.before-repair-\d{8}T\d{6}Z[\s\S]*lost: commits \d+ to \d+, which its WAL no longer holds[\s\S]*repaired: midge will start on/);
        assert.equal((await runCli(['store', 'check', data.path])).code, 0);
        const broker = await spawnDurable(data.path);
        await broker.stop();
      } finally {
        data.remove();
      }
    });
  }

  it('refuses a store in which 16 bytes of a payload were overwritten; export leaves that message out, repair removes it, and the rest is delivered', async () => {
    const data = dataDir();
    try {
      const marked = (n: number) => (n === 102 ? `FIND-ME-${'x'.repeat(40)}` : String(n));
      const acked = await fillStore(data.path, 100, 'term', marked);
      const file = join(data.path, 'midge.db');
      const bytes = readFileSync(file);
      const at = bytes.indexOf('FIND-ME-');
      assert.ok(at > 0, 'the payload is in the database file after a clean stop');
      bytes.fill(0x41, at + 8, at + 24);
      writeFileSync(file, bytes);
      await assert.rejects(spawnDurable(data.path), /2 of its records are damaged \(message \d+ \(topic "damaged\/stream"\): checksum mismatch; delivery "damaged-sub" #\d+: its message \d+ is damaged\)/);

      const exported = await runCli(['store', 'export', data.path]);
      assert.equal(exported.code, 2);
      const lines = exported.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { type: string; payload?: string });
      assert.equal(lines[0]!.type, 'store');
      const payloads = lines.filter((l) => l.type === 'message').map((l) => Buffer.from(l.payload!, 'base64').toString());
      assert.equal(payloads.length, acked.size - 1, 'every intact message is exported');
      assert.ok(!payloads.some((p) => p.startsWith('FIND-ME-')));
      assert.match(exported.stderr, /left out: message \d+ \(topic "damaged\/stream"\): checksum mismatch/);

      const repair = await runCli(['store', 'repair', data.path]);
      assert.equal(repair.code, 0, repair.stderr);
      assert.match(repair.stdout.toString(), /lost: message \d+ \(topic "damaged\/stream"\): checksum mismatch/);
      const broker = await spawnDurable(data.path);
      try {
        const receiver = new Receiver();
        const { client, connack } = await StreamClient.connect(broker.port, { clientId: 'damaged-sub', clean: false });
        assert.equal(connack.sessionPresent, true);
        receiver.attach(client);
        await receiver.settle(500);
        assert.deepEqual([...acked].filter((n) => !receiver.seen.has(n)), [102], 'only the damaged message is missing');
        await client.disconnect();
      } finally {
        await broker.stop();
      }
    } finally {
      data.remove();
    }
  });

  for (const damage of ['emptied (0 bytes)', 'deleted'] as const) {
    it(`refuses to start empty in place of a store file that was ${damage}, and store repair lets it start afresh`, async () => {
      const data = dataDir();
      try {
        await fillStore(data.path, 10, 'term');
        const file = join(data.path, 'midge.db');
        if (damage === 'deleted') unlinkSync(file);
        else truncateSync(file, 0);
        const said = damage === 'deleted' ? 'it is missing' : 'it is empty \\(0 bytes\\)';
        await assert.rejects(spawnDurable(data.path), new RegExp(`cannot open the store .*midge\\.db: ${said}, but .*midge\\.db-marker says a store with \\d+ commits was here`));
        assert.equal((await runCli(['store', 'check', data.path])).code, 2);
        const repair = await runCli(['store', 'repair', data.path]);
        assert.equal(repair.code, 0, repair.stderr);
        assert.match(repair.stdout.toString(), /removed the marker .*: midge will start with an empty store/);
        const broker = await spawnDurable(data.path);
        await broker.stop();
      } finally {
        data.remove();
      }
    });
  }

  it('store check names a store that does not exist and exits 1', async () => {
    const data = dataDir();
    try {
      const check = await runCli(['store', 'check', join(data.path, 'none')]);
      assert.equal(check.code, 1);
      assert.match(check.stderr, /midge: there is no store at .*none\/midge\.db/);
    } finally {
      data.remove();
    }
  });
});
