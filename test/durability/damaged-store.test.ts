/**
 * Issue 15 item 3, end to end: `midge broker` refuses to start on a store that
 * was emptied, deleted, cut short (its -wal deleted or damaged after a kill -9)
 * or changed (bytes of a payload overwritten), naming the file and what to do;
 * `midge store check|export|repair` say what is wrong, save what is intact and
 * make the store usable again, reporting what was lost.
 */
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { dataDir, Receiver, spawnDurable } from './crash-scenario.js';
import { fillStore } from './damaged-scenario.js';
import { StreamClient } from './stream-client.js';

describe('midge broker on a damaged store', () => {
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
