/**
 * Start-up over a store: `midge broker` refuses to start over a store it cannot
 * read (never an empty broker over it), refuses a directory another broker
 * holds, and `--no-persistence` writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PacketType, type Packet } from '../../src/protocol/index.js';
import { spawnMidge } from '../helpers/midge.js';
import { dataDir, spawnDurable } from './crash-scenario.js';
import { StreamClient } from './stream-client.js';

describe('midge broker start-up with a store', () => {
  it('refuses to start over a corrupt store, says why, and leaves the file as it was', async () => {
    const data = dataDir();
    try {
      const garbage = Buffer.from('not a database at all; '.repeat(200));
      writeFileSync(join(data.path, 'midge.db'), garbage);
      await assert.rejects(spawnDurable(data.path), /cannot open the store .*midge\.db: it is corrupt/);
      assert.deepEqual(readFileSync(join(data.path, 'midge.db')), garbage);
    } finally {
      data.remove();
    }
  });

  it('refuses to start on a data directory another broker is using', async () => {
    const data = dataDir();
    const first = await spawnDurable(data.path);
    try {
      await assert.rejects(spawnDurable(data.path), /in use by another process/);
    } finally {
      await first.stop();
      data.remove();
    }
  });

  it('writes nothing to disk with --no-persistence, even for persistent sessions', async () => {
    const data = dataDir();
    const location = join(data.path, 'unused');
    const midge = await spawnMidge({ args: ['--no-persistence', '--persistence-location', location] });
    try {
      const { client } = await StreamClient.connect(midge.port, { clientId: 'mem-only', clean: false });
      await client.waitFor((p): p is Packet => p.type === PacketType.SUBACK, 5000, 'SUBACK', () => {
        client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'x/#', qos: 1 }] });
      });
      await client.disconnect();
      assert.equal(existsSync(location), false);
    } finally {
      await midge.stop();
      data.remove();
    }
  });

  it('turns persistence back on with a later --persistence, as a benchmark run over default flags does', async () => {
    const data = dataDir();
    const midge = await spawnMidge({ args: ['--no-persistence', '--persistence', '--persistence-location', data.path] });
    try {
      assert.equal(existsSync(join(data.path, 'midge.db')), true);
    } finally {
      await midge.stop();
      data.remove();
    }
  });

  it('creates the data directory it is given when it does not exist', async () => {
    const data = dataDir();
    const location = join(data.path, 'a', 'b');
    mkdirSync(data.path, { recursive: true });
    const midge = await spawnDurable(location);
    try {
      assert.equal(existsSync(join(location, 'midge.db')), true);
    } finally {
      await midge.stop();
      data.remove();
    }
  });
});
