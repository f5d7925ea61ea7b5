/**
 * SIGHUP tells the truth about the configuration file: listeners added are opened,
 * removed ones closed (their clients disconnected), unchanged ones keep their sockets
 * and clients, and settings that need a restart are named rather than ignored.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runProcess } from '../auth/fixtures.js';
import { requireBinary } from '../helpers/external.js';
import { waitUntil } from '../helpers/flows.js';
import { jsonLogLines, spawnMidge } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { PacketType } from '../../src/protocol/index.js';

const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';

function config(ports: number[], extra = ''): string {
  return `${ports.map((p) => `listener ${p} 127.0.0.1\n`).join('')}allow_anonymous true\npersistence false\nsys_interval 0\n${extra}`;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

describe('reload (SIGHUP)', () => {
  it('opens added listeners, closes removed ones, keeps the others, and names what needs a restart', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PUB)) return;
    const dir = mkdtempSync(join(tmpdir(), 'midge-reload-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const first = await freePort();
    const second = await freePort();
    const file = join(dir, 'midge.conf');
    const midge = await spawnMidge({ config: config([first]), port: first, cwd: dir, args: ['--log-level', 'info'] });
    t.after(() => midge.stop());
    const { client: staying } = await RawClient.connect(first, { clientId: 'staying', version: 5 });

    writeFileSync(file, config([first, second], 'max_packet_size 4096\n'));
    midge.child.kill('SIGHUP');
    await waitUntil(() => jsonLogLines(midge.output(), 'reload needs a restart').length === 1, 'the first reload is reported', 10_000);
    const [partial] = jsonLogLines(midge.output(), 'reload needs a restart');
    assert.deepEqual(partial!.applied, [`opened listener mqtt:${second}`]);
    assert.deepEqual(partial!.restartNeeded, ['max_packet_size']);
    const published = await runProcess(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(second), '-t', 'reload/check', '-m', 'new listener']);
    assert.equal(published.code, 0, published.stderr);
    staying.send({ type: PacketType.PINGREQ });
    await staying.expect(PacketType.PINGRESP);

    writeFileSync(file, config([second], 'max_packet_size 4096\n'));
    midge.child.kill('SIGHUP');
    await waitUntil(() => jsonLogLines(midge.output(), 'reload complete').length === 1, 'the second reload completes', 10_000);
    assert.deepEqual(jsonLogLines(midge.output(), 'reload complete')[0]!.applied, [`closed listener mqtt:${first}`]);
    const disconnect = await staying.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x8b);
    await staying.waitClosed();
    assert.equal(await refused(first), true, 'the removed listener no longer accepts connections');

    writeFileSync(file, config([second], 'max_packet_size 4096\nmax_connections 5\n'));
    midge.child.kill('SIGHUP');
    await waitUntil(() => jsonLogLines(midge.output(), 'reload complete').length === 2, 'the third reload completes', 10_000);
    assert.deepEqual(jsonLogLines(midge.output(), 'reload complete')[1]!.applied, [`reopened listener mqtt:${second} (max_connections changed)`]);
    const again = await runProcess(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(second), '-t', 'reload/check', '-m', 'reopened']);
    assert.equal(again.code, 0, again.stderr);
  });

  it('keeps the running configuration when the file has an error, and says so', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-reload-bad-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const midge = await spawnMidge({ config: config([port]), port, cwd: dir, args: ['--log-level', 'info'] });
    t.after(() => midge.stop());
    writeFileSync(join(dir, 'midge.conf'), `${config([port])}max_qos seven\n`);
    midge.child.kill('SIGHUP');
    await waitUntil(() => midge.output().includes('configuration file not reloaded'), 'the error is reported', 10_000);
    assert.match(midge.output(), /midge\.conf:5: invalid max_qos 'seven'/);
    assert.equal(await refused(port), false, 'the listener stays');
  });
});
