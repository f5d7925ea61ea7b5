import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { writePasswordFile } from '../helpers/admin.js';
import { uniq, waitUntil } from '../helpers/flows.js';
import { jsonLogLines, spawnMidge } from '../helpers/midge.js';
import { RawClient } from '../helpers/raw-client.js';

const logLines = jsonLogLines;

describe('connection logs', () => {
  it('carry client id, user name, remote address, listener and reason code for connects, disconnects and refusals', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'midge-logs-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const passwordFile = await writePasswordFile(dir, { alice: 'alice-pw' });
    const midge = await spawnMidge({
      config: `password_file ${passwordFile}\nlistener {port} 127.0.0.1\nallow_anonymous false\npersistence false\nsys_interval 0\n`,
      args: ['--log-level', 'info'],
    });
    t.after(() => midge.stop());
    const clientId = uniq('logged');
    const { client } = await RawClient.connect(midge.port, { clientId, version: 5, username: 'alice', password: Buffer.from('alice-pw') });
    client.send({ type: PacketType.DISCONNECT, reasonCode: 0x04 });
    await client.waitClosed();
    const { connack } = await RawClient.connect(midge.port, { clientId: uniq('anonymous'), version: 5 });
    assert.equal(connack.reasonCode, 0x87);
    await waitUntil(() => logLines(midge.output(), 'connection refused').length > 0 && logLines(midge.output(), 'client disconnected').length > 0,
      'the log lines are written', 5000);
    const fields = { username: 'alice', remoteAddress: '127.0.0.1', listener: 'mqtt:' + midge.port };
    const [connected] = logLines(midge.output(), 'client connected');
    assert.deepEqual({ ...fields, clientId, reasonCode: 0 }, pick(connected!, ['clientId', 'username', 'remoteAddress', 'listener', 'reasonCode']));
    const [gone] = logLines(midge.output(), 'client disconnected');
    assert.deepEqual({ ...fields, clientId, reasonCode: 0x04 }, pick(gone!, ['clientId', 'username', 'remoteAddress', 'listener', 'reasonCode']));
    const [refused] = logLines(midge.output(), 'connection refused');
    assert.equal(refused!.reasonCode, 0x87);
    assert.equal(refused!.remoteAddress, '127.0.0.1');
    assert.equal(refused!.listener, fields.listener);
  });
});

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}
