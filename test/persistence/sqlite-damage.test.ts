/**
 * Issue 15 item 3: a damaged store never starts silently. Each way a store file
 * can be lost or damaged (emptied, deleted, its WAL deleted or damaged, bytes of
 * a payload overwritten) makes the store refuse to open, naming the file and what
 * to do, instead of starting with less than it acknowledged.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore, storeFile } from '../../src/persistence/index.js';
import { delivery, message, restoreAll, session } from './store-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'midge-damage-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A store with `commits` commits of one message and delivery each, left open (the caller closes it). */
async function storeWithCommits(location: string, commits: number, payload = (i: number) => Buffer.from(`payload ${i}`)): Promise<SqliteStore> {
  const store = new SqliteStore({ location });
  await store.open();
  await store.restore();
  store.saveSession(session('sub'));
  for (let i = 0; i < commits; i++) {
    const m = message({ topic: 'damage/test', payload: payload(i) });
    store.saveMessage(m);
    store.saveDelivery(delivery('sub', i, m));
    await store.commit();
  }
  return store;
}

/** What a SIGKILL now would leave: the files copied while the store holds them open. */
function crashImage(live: string): string {
  const copy = tempDir();
  for (const name of ['midge.db', 'midge.db-wal', 'midge.db-marker']) {
    if (existsSync(join(live, name))) copyFileSync(join(live, name), join(copy, name));
  }
  return copy;
}

async function openAndRestore(location: string): Promise<SqliteStore> {
  const store = new SqliteStore({ location });
  await store.open();
  try {
    await store.restore();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

describe('a damaged store never starts silently', () => {
  it('opens the crash image of a store that lost nothing, with every delivery', async () => {
    const live = tempDir();
    const store = await storeWithCommits(live, 50);
    const image = crashImage(live);
    await store.close();
    const reopened = new SqliteStore({ location: image });
    await reopened.open();
    const state = await restoreAll(reopened);
    assert.equal(state.deliveries.length, 50);
    await reopened.close();
  });

  it('refuses an empty (0-byte) store file where the marker says a store was used', async () => {
    const location = tempDir();
    await (await storeWithCommits(location, 3)).close();
    truncateSync(storeFile(location), 0);
    await assert.rejects(openAndRestore(location),
      /cannot open the store .*midge\.db: it is empty \(0 bytes\), but .*midge\.db-marker says a store with \d+ commits was here\. .*midge store repair/);
    assert.equal(readFileSync(storeFile(location)).length, 0, 'the empty file is left as it was');
  });

  it('refuses a missing store file where the marker says a store was used, and creates nothing', async () => {
    const location = tempDir();
    await (await storeWithCommits(location, 3)).close();
    unlinkSync(storeFile(location));
    await assert.rejects(openAndRestore(location), /cannot open the store .*midge\.db: it is missing, but .*midge\.db-marker says/);
    assert.equal(existsSync(storeFile(location)), false);
  });

  it('refuses a store whose -wal was deleted after a crash, saying how many commits are missing', async () => {
    const live = tempDir();
    const store = await storeWithCommits(live, 40);
    const image = crashImage(live);
    await store.close();
    unlinkSync(join(image, 'midge.db-wal'));
    await assert.rejects(openAndRestore(image),
      /cannot open the store .*midge\.db: it ends at commit \d+, but .*midge\.db-marker recorded commit \d+: its last \d+ commits, acknowledged messages among them, are missing\..*midge store repair/);
  });

  it('refuses a store whose -wal was damaged after a crash', async () => {
    const live = tempDir();
    const store = await storeWithCommits(live, 40);
    const image = crashImage(live);
    await store.close();
    const wal = join(image, 'midge.db-wal');
    const bytes = readFileSync(wal);
    // Somewhere in the middle of the frames: SQLite drops the frame that fails its checksum and every one after it.
    bytes.fill(0x5a, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 16);
    writeFileSync(wal, bytes);
    await assert.rejects(openAndRestore(image), /it ends at commit \d+, but .*recorded commit \d+: its last \d+ commits/);
  });

  it('refuses a store in which 16 bytes of a payload were overwritten, naming the message', async () => {
    const location = tempDir();
    const marked = (i: number) => Buffer.from(i === 7 ? `FIND-ME-${'x'.repeat(40)}` : `payload ${i}`);
    await (await storeWithCommits(location, 10, marked)).close();
    const file = storeFile(location);
    const bytes = readFileSync(file);
    const at = bytes.indexOf('FIND-ME-');
    assert.ok(at > 0, 'the payload is in the file once the store is closed');
    bytes.fill(0x41, at + 8, at + 24);
    writeFileSync(file, bytes);
    await assert.rejects(openAndRestore(location),
      /2 of its records are damaged \(message (\d+) \(topic "damage\/test"\): checksum mismatch; delivery "sub" #7: its message \1 is damaged\)\. `midge store check .*` lists them/);
  });

  it('refuses a store file that was replaced by another store', async () => {
    const a = tempDir();
    const b = tempDir();
    await (await storeWithCommits(a, 2)).close();
    await (await storeWithCommits(b, 2)).close();
    copyFileSync(storeFile(b), storeFile(a));
    await assert.rejects(openAndRestore(a), /it is store [0-9a-f]{16}, but .*midge\.db-marker belongs to store [0-9a-f]{16}/);
  });

  it('refuses a store whose marker is unreadable', async () => {
    const location = tempDir();
    await (await storeWithCommits(location, 2)).close();
    writeFileSync(join(location, 'midge.db-marker'), 'garbage\n');
    await assert.rejects(openAndRestore(location), /its marker .*midge\.db-marker is unreadable \(not a midge store marker\)/);
  });

  it('opens a store whose marker is gone, and tells the operator it could not check the tail', async () => {
    const location = tempDir();
    await (await storeWithCommits(location, 2)).close();
    unlinkSync(join(location, 'midge.db-marker'));
    const store = await openAndRestore(location);
    assert.match(store.notices.join('\n'), /had no marker beside it/);
    await store.close();
    assert.equal(existsSync(join(location, 'midge.db-marker')), true);
  });
});
