import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { connect, disconnect, payloads, publish, receive, subscribe, uniq } from '../helpers/flows.js';
import { spawnMidge } from '../helpers/midge.js';
import { RawClient } from '../helpers/raw-client.js';

/** Resolves with the exit code, or fails the test when the process outlives `timeoutMs`. */
function exitOf(child: ChildProcess, timeoutMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`midge did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function storeDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'midge-shutdown-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function config(dir: string): string {
  return `listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}\nsys_interval 0\n`;
}

describe('graceful shutdown', () => {
  it('on SIGTERM tells v5 clients 0x8B Server shutting down, exits 0, and keeps the store for the restart', async (t) => {
    const dir = await storeDir(t);
    const first = await spawnMidge({ config: config(dir) });
    t.after(() => first.stop());
    const durable = uniq('durable');
    const away = await connect(first.port, { clientId: durable, version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } });
    await subscribe(away, [['jobs/#', 1]]);
    await disconnect(away);
    const pub = await connect(first.port, { clientId: uniq('pub') });
    for (const n of [1, 2, 3]) await publish(pub, `jobs/${n}`, `job ${n}`, { qos: 1 });
    await publish(pub, 'config/mode', 'eco', { qos: 1, retain: true });
    const v5 = await connect(first.port, { clientId: uniq('v5'), version: 5 });
    first.child.kill('SIGTERM');
    const farewell = await v5.expect(PacketType.DISCONNECT);
    assert.equal(farewell.reasonCode, 0x8b);
    await v5.waitClosed();
    await pub.waitClosed();
    assert.equal(await exitOf(first.child), 0);

    const second = await spawnMidge({ config: config(dir) });
    t.after(() => second.stop());
    const { client: back, connack } = await RawClient.connect(second.port, {
      clientId: durable, version: 5, clean: false, properties: { sessionExpiryInterval: 3600 },
    });
    assert.equal(connack.sessionPresent, true);
    assert.deepEqual(payloads(await receive(back, 3)), ['job 1', 'job 2', 'job 3']);
    const late = await connect(second.port, { clientId: uniq('late') });
    await subscribe(late, [['config/#', 0]]);
    assert.deepEqual(payloads(await receive(late, 1)), ['eco']);
    await disconnect(back);
    await disconnect(late);
  });
});
