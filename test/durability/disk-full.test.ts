/**
 * Issue 15 item 4: when the store cannot write (disk full), nothing is
 * acknowledged that is not on disk, the broker says so once (file and cause),
 * `/readyz` turns unready, `$SYS` and /metrics show it, clients are not thrown
 * out in loops, and when the disk has room again the broker resumes by itself
 * and sends every held acknowledgement, losing nothing that was staged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { sysFigures, type Logger } from '../../src/broker/index.js';
import type { Batch } from '../../src/persistence/index.js';
import { SqliteStore } from '../../src/persistence/index.js';
import { startServer, type MidgeServer } from '../../src/server/index.js';
import { adminCall, parseMetrics } from '../helpers/admin.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { until } from './stream-client.js';

/** A SQLite store whose writes fail, as SQLite's do on a full disk, while `full` is set. */
class FillableStore extends SqliteStore {
  full = false;
  attempts = 0;

  protected override writeBatch(batch: Batch): void | Promise<void> {
    if (this.full) {
      this.attempts++;
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return super.writeBatch(batch);
  }
}

/** A logger that keeps what it is given. */
function recordingLogger(): Logger & { lines: Array<{ level: string; fields: object; message: string }> } {
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const at = (level: string) => (fields: object, message: string) => { lines.push({ level, fields, message }); };
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

const TOKEN = 'disk-full-test-token-0123456789';

async function start(store: SqliteStore, logger: Logger): Promise<{ server: MidgeServer; port: number; admin: number }> {
  const server = await startServer({
    listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }],
    broker: { store, logger },
    admin: { port: 0, host: '127.0.0.1', adminToken: TOKEN },
    sysInterval: 0,
  });
  return { server, port: server.listeners[0]!.port, admin: server.admin!.port };
}

async function metrics(adminPort: number): Promise<Map<string, number>> {
  const answer = await adminCall(adminPort, '/metrics', { authorization: `Bearer ${TOKEN}` });
  return parseMetrics(answer.text);
}

/** Publishes QoS 1 messages `from..to` (payload: the number) and counts the PUBACKs as they come. */
function publishRange(client: MqttClient, from: number, to: number, acked: Set<number>): void {
  for (let n = from; n <= to; n++) client.publish('disk/full', String(n), { qos: 1 }, (err) => { if (!err) acked.add(n); });
}

describe('a store whose disk is full', () => {
  it('holds acknowledgements, turns unready, logs once with the file, and resumes by itself when space returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-disk-full-'));
    const logger = recordingLogger();
    const store = new FillableStore({ location: dir });
    let { server, port, admin } = await start(store, logger);
    try {
      const sub = await connectMqttJs(port, { clientId: 'offline-sub', clean: false, protocolVersion: 4 });
      await new Promise<void>((resolve, reject) => sub.subscribe('disk/#', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      await endMqttJs(sub);

      const publisher = await connectMqttJs(port, { clientId: 'pub', protocolVersion: 5 });
      let closes = 0;
      publisher.on('close', () => closes++);
      const acked = new Set<number>();
      publishRange(publisher, 1, 20, acked);
      await until(() => acked.size === 20, 10_000, () => `${acked.size} of 20 acknowledged before the disk filled`);

      store.full = true;
      // As many as the broker's Receive Maximum lets a client have unacknowledged: the held PUBACKs stop it there.
      publishRange(publisher, 21, 40, acked);
      await until(() => store.attempts >= 4, 10_000, () => `${store.attempts} write attempts`);
      assert.equal(acked.size, 20, 'nothing written while the disk is full is acknowledged');
      const unready = await adminCall<{ ready: boolean; notReadyBecause: string[] }>(admin, '/readyz');
      assert.equal(unready.status, 503);
      assert.match(unready.json.notReadyBecause.join(), /store not writable: cannot write the store .*midge\.db: the disk is full/);
      const failing = await metrics(admin);
      assert.equal(failing.get('midge_store_writable'), 0);
      assert.ok(failing.get('midge_store_write_failures_total')! >= 4);
      assert.ok(failing.get('midge_store_failing_seconds')! > 0);
      assert.deepEqual(sysFigures(server.broker, Date.now()).find(([t]) => t === 'store/state'), ['store/state', 'failing']);
      const errors = logger.lines.filter((l) => l.level === 'error');
      assert.equal(errors.length, 1, `one error line for the outage, not one per client or attempt: ${JSON.stringify(errors)}`);
      assert.match(errors[0]!.message, /^store writes failing: cannot write the store .*midge\.db: the disk is full \(SQLITE_FULL: database or disk is full\)\./);
      assert.equal(closes, 0, 'the publisher is not disconnected');

      store.full = false;
      await until(() => acked.size === 40, 15_000, () => `${acked.size} of 40 acknowledged after space returned`);
      const ready = await adminCall(admin, '/readyz');
      assert.equal(ready.status, 200);
      const back = await metrics(admin);
      assert.equal(back.get('midge_store_writable'), 1);
      assert.equal(back.get('midge_store_recoveries_total'), 1);
      assert.deepEqual(sysFigures(server.broker, Date.now()).find(([t]) => t === 'store/state'), ['store/state', 'ok']);
      assert.ok(logger.lines.some((l) => l.level === 'warn' && /store writable again/.test(l.message)));
      await endMqttJs(publisher);

      // Everything acknowledged is on disk: a broker started on the same store delivers all 40.
      await server.close();
      ({ server, port, admin } = await start(new SqliteStore({ location: dir }), logger));
      const { client, inbox } = await connectCollecting(port, { clientId: 'offline-sub', clean: false, protocolVersion: 4 });
      const got = await inbox.waitFor(40, 10_000);
      assert.deepEqual(got.map((m) => Number(m.payload.toString())).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
      await endMqttJs(client);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shuts down while the disk is still full instead of waiting for it, acknowledging nothing more', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-disk-full-'));
    const store = new FillableStore({ location: dir });
    const { server, port } = await start(store, recordingLogger());
    try {
      const sub = await connectMqttJs(port, { clientId: 'offline-sub', clean: false, protocolVersion: 4 });
      await new Promise<void>((resolve, reject) => sub.subscribe('disk/#', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      await endMqttJs(sub);
      const publisher = await connectMqttJs(port, { clientId: 'pub', protocolVersion: 5 });
      const acked = new Set<number>();
      store.full = true;
      publishRange(publisher, 1, 10, acked);
      await until(() => store.attempts >= 2, 10_000, () => `${store.attempts} write attempts`);
      const started = Date.now();
      await server.close();
      assert.ok(Date.now() - started < 5000, 'close does not wait for the disk');
      assert.equal(acked.size, 0);
      publisher.end(true);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
