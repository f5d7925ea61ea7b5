import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Store } from '../../src/broker/index.js';
import { SqliteStore, createStore, storeFile } from '../../src/persistence/index.js';
import { rowChecksum } from '../../src/persistence/row-checksum.js';
import { delivery, message, session, storeContract } from './store-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'midge-sqlite-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const sync of ['normal', 'full'] as const) {
  storeContract(`sqlite (sync ${sync})`, {
    create: () => new SqliteStore({ location: join(tempDir(), 'data'), sync }),
    reopen: (closed: Store) => new SqliteStore({ location: (closed as SqliteStore).file.replace(/\/midge\.db$/, ''), sync }),
  });
}

storeContract('sqlite (commits in a worker thread)', {
  create: () => new SqliteStore({ location: join(tempDir(), 'data'), commitThread: 'worker' }),
  reopen: (closed: Store) => new SqliteStore({ location: (closed as SqliteStore).file.replace(/\/midge\.db$/, ''), commitThread: 'worker' }),
});

describe('SqliteStore', () => {
  it('creates its directory readable by its owner only and its file 0600', async () => {
    const location = join(tempDir(), 'nested', 'data');
    const store = new SqliteStore({ location });
    await store.open();
    await store.restore();
    store.saveSession(session('c1'));
    await store.commit();
    assert.equal(statSync(location).mode & 0o777, 0o700);
    assert.equal(statSync(storeFile(location)).mode & 0o777, 0o600);
    assert.equal(statSync(`${storeFile(location)}-wal`).mode & 0o777, 0o600);
    await store.close();
  });

  it('refuses to open a corrupt file, says so, and leaves the file as it was', async () => {
    const location = tempDir();
    const garbage = Buffer.from('this is not an SQLite database, and it is long enough to look like one '.repeat(100));
    writeFileSync(storeFile(location), garbage);
    const store = new SqliteStore({ location });
    await assert.rejects(store.open(), /cannot open the store .*midge\.db: it is corrupt/);
    assert.deepEqual(readFileSync(storeFile(location)), garbage);
  });

  /** A store holding session c1 whose row `edit` then changes behind the store's back; restored again. */
  async function restoreAfterEdit(edit: (db: Database.Database) => void): Promise<unknown> {
    const location = tempDir();
    const first = new SqliteStore({ location });
    await first.open();
    await first.restore();
    first.saveSession(session('c1'));
    await first.close();
    const db = new Database(storeFile(location));
    edit(db);
    db.close();
    const second = new SqliteStore({ location });
    await second.open();
    return second.restore();
  }

  it('refuses a store whose records were changed behind its back, naming the record', async () => {
    await assert.rejects(restoreAfterEdit((db) => db.prepare("UPDATE sessions SET record = '{not json' WHERE client_id = 'c1'").run()),
      /1 of its records is damaged \(session "c1": checksum mismatch\)/);
  });

  it('refuses a record that passes its checksum but cannot be decoded', async () => {
    const sum = rowChecksum(['c1', '{not json', null]);
    await assert.rejects(restoreAfterEdit((db) => db.prepare("UPDATE sessions SET record = '{not json', checksum = ? WHERE client_id = 'c1'").run(sum)),
      /session "c1": unreadable record/);
  });

  it('refuses a store written by a newer schema', async () => {
    const location = tempDir();
    const first = new SqliteStore({ location });
    await first.open();
    await first.close();
    const db = new Database(storeFile(location));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    await assert.rejects(new SqliteStore({ location }).open(), /newer midge/);
  });

  it('refuses a second store on a directory another one holds open', async () => {
    const location = tempDir();
    const first = new SqliteStore({ location });
    await first.open();
    await assert.rejects(new SqliteStore({ location }).open(), /in use by another process/);
    await first.close();
    const again = new SqliteStore({ location });
    await again.open();
    await again.close();
  });

  it('keeps each message once on disk and deletes it with its last delivery', async () => {
    const location = tempDir();
    const store = new SqliteStore({ location });
    await store.open();
    await store.restore();
    const m = message({ payload: Buffer.alloc(1000, 7) });
    for (let c = 0; c < 50; c++) {
      store.saveMessage(m);
      store.saveDelivery(delivery(`c${c}`, 1, m));
    }
    await store.commit();
    const count = () => {
      const db = new Database(storeFile(location), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    for (let c = 0; c < 50; c++) store.deleteDelivery(`c${c}`, 1);
    await store.close();
    assert.equal(count(), 0);
  });

  it('maps persistence settings to a store in one place', () => {
    assert.equal(createStore({ persistence: false }), undefined);
    const store = createStore({ location: '/var/lib/midge', sync: 'full' });
    assert.ok(store instanceof SqliteStore);
    assert.equal(store.file, '/var/lib/midge/midge.db');
    assert.equal(store.sync, 'full');
    assert.throws(() => createStore({ sync: 'always' as 'full' }), /normal or full/);
    const byDefault = createStore();
    assert.ok(byDefault instanceof SqliteStore);
    assert.equal(byDefault.file, join(process.cwd(), 'data', 'midge.db'));
    assert.equal(byDefault.sync, 'normal');
  });
});
