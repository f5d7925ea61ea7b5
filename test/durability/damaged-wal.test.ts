/**
 * Issue 15 item 3, end to end: after a kill -9, a store whose -wal was deleted or
 * damaged is refused (its last commits are missing); `midge store check` says so
 * and `midge store repair` accepts the loss so that the broker starts again.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { dataDir, spawnDurable } from './crash-scenario.js';
import { fillStore } from './damaged-scenario.js';

describe('midge broker on a store whose WAL was lost', () => {
  for (const damage of ['deleted', 'damaged'] as const) {
    it(`refuses a store whose -wal was ${damage} after a kill -9; store check says so (exit 2) and store repair lets it start`, async () => {
      const data = dataDir();
      try {
        await fillStore(data.path, 200, 'kill');
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

});
