import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./paho/v5_shared_and_rr.py', import.meta.url).pathname;

describe('paho-mqtt (Python, MQTT 5) against midge', () => {
  let midge: InProcessMidge;
  before(async () => { midge = await startMidge(); });
  after(() => midge.stop());

  it('spreads a shared subscription over two paho members and carries a request/response round trip', async (t) => {
    if (!requireBinary(t, PYTHON)) return;
    // execFile, not spawnSync: the in-process broker must keep serving while Python talks to it.
    const { stdout } = await run(PYTHON, [SCRIPT, String(midge.port)], { timeout: 30_000 });
    const result = JSON.parse(stdout) as { shared: Record<string, number>; reply: string; correlation: string };
    const counts = Object.values(result.shared);
    assert.equal(counts.reduce((a, b) => a + b, 0), 10, 'each job to exactly one member');
    assert.ok(counts.every((n) => n > 0), `both members got work: ${counts}`);
    assert.equal(result.reply, 'pong:ping');
    assert.equal(result.correlation, 'corr-42');
  });
});
