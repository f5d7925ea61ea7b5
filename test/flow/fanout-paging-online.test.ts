import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import type { Logger } from '../../src/broker/index.js';
import { SqliteStore } from '../../src/persistence/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { connect, subscribe, uniq, waitUntil } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { burst, drops, pubacks } from './helpers.js';

/** The broker-wide cap on queued bytes: in-memory queues page to the store past half of it. */
const TOTAL_CAP = 1024 * 1024;

/** A log that keeps its error lines, to look at. */
function recordingLogger(): Logger & { errors: Array<{ fields: Record<string, unknown>; message: string }> } {
  const errors: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const none = () => {};
  return { errors, error: (fields, message) => errors.push({ fields: fields as Record<string, unknown>, message }), warn: none, info: none, debug: none };
}

/** mosquitto_sub as a persistent (clean session 0) QoS 1 subscriber that prints `count` payloads and exits. */
function mosquittoSub(port: number, clientId: string, topic: string, count: number): { child: ChildProcess; lines: Promise<string[]> } {
  const child = spawn('mosquitto_sub', [
    '-h', '127.0.0.1', '-p', String(port), '-i', clientId, '-c', '-q', '1', '-t', topic, '-C', String(count), '-W', '90',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const lines = new Promise<string[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`mosquitto_sub exited with ${code}: got ${out.split('\n').length - 1} lines`))));
  });
  return { child, lines };
}

/** Lines of numbers as runs of consecutive ones, e.g. `0-699 701-1000`: what differs reads at a glance. */
function ranges(lines: readonly string[]): string {
  const runs: string[] = [];
  let start = Number(lines[0]);
  for (let i = 1; i <= lines.length; i++) {
    const prev = Number(lines[i - 1]);
    if (i < lines.length && Number(lines[i]) === prev + 1) continue;
    runs.push(`${start}-${prev}`);
    start = Number(lines[i]);
  }
  return runs.join(' ');
}


/**
 * Issue 15, item 5: the queues of persistent sessions are paged to the store not
 * only while their clients are away, but also for a client that is connected while
 * the in-memory queues of all sessions pass half of `max_queued_bytes_total`; and a
 * row of such a queue found damaged when it is read back is left out, reported and
 * counted, while the rest of the queue is delivered.
 */
describe('queue paging with a connected persistent subscriber', () => {
  const dirs: string[] = [];
  const brokers: InProcessMidge[] = [];
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const midge of brokers) await midge.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function start(logger?: Logger): Promise<{ midge: InProcessMidge; store: SqliteStore }> {
    const dir = mkdtempSync(join(tmpdir(), 'midge-paging-'));
    dirs.push(dir);
    const store = new SqliteStore({ location: dir });
    const midge = await startMidge({ broker: { store, logger, limits: { maxQueuedBytesTotal: TOTAL_CAP, maxQueuedMessages: 100_000 } } });
    brokers.push(midge);
    return { midge, store };
  }

  it('pages the queue of a paused subscriber past the budget and gives it every message once, in order, when it resumes', async () => {
    const { midge } = await start();
    const broker = midge.server.broker;
    const topic = uniq('online');
    const clientId = uniq('paused');
    // 10,000 deliveries cost 1.3 MB in memory (payload and entry overhead): more than the cap.
    const count = 10_000;
    const sub = mosquittoSub(midge.port, clientId, topic, count);
    children.push(sub.child);
    await waitUntil(() => broker.sessions.get(clientId)?.subscriptions.size === 1, 'mosquitto_sub subscribed', 10_000);
    sub.child.kill('SIGSTOP');
    let peakInMemory = 0;
    const sampler = setInterval(() => { peakInMemory = Math.max(peakInMemory, broker.flow.queuedBytes); }, 5);
    try {
      const publisher = await connect(midge.port);
      publisher.socket.write(burst(topic, count, 0, 1));
      // Without paging the publisher would wait for the paused subscriber at the cap.
      await pubacks(publisher, count, 60_000);
      await publisher.close();
    } finally {
      clearInterval(sampler);
      peakInMemory = Math.max(peakInMemory, broker.flow.queuedBytes);
    }
    const session = broker.sessions.get(clientId)!;
    assert.ok(session.online, 'the subscriber stayed connected');
    assert.ok(session.queuedCount > count - 100, `${session.queuedCount} of ${count} deliveries wait for the paused subscriber`);
    assert.ok(peakInMemory <= TOTAL_CAP, `in-memory queues peaked at ${peakInMemory} bytes, over the ${TOTAL_CAP} cap`);
    sub.child.kill('SIGCONT');
    const got = await sub.lines;
    assert.equal(ranges(got), `0-${count - 1}`);
    assert.equal(drops(broker, 'memory-limit') + drops(broker, 'queue-full'), 0);
  });

  it('leaves out a queued message found damaged when its page is read, logs the client and seq, counts it, and delivers the rest', async () => {
    const logger = recordingLogger();
    const { midge, store } = await start(logger);
    const broker = midge.server.broker;
    const topic = uniq('damaged');
    const clientId = uniq('away');
    const away = await connect(midge.port, { clientId, clean: false });
    await subscribe(away, [[topic, 1]]);
    away.send({ type: PacketType.DISCONNECT });
    await away.close();
    // 1,001 queued: the damaged one in the second page makes the third page hold the last one alone.
    const count = 1001;
    const publisher = await connect(midge.port);
    publisher.socket.write(burst(topic, count, 0, 1));
    await pubacks(publisher, count, 60_000);
    await publisher.close();
    await store.commit();
    // The row of the 701st message changes on disk while the broker runs (its checksum no longer matches).
    const db = (store as unknown as { db: Database.Database }).db;
    const [seq, messageId] = db.prepare('SELECT seq, message_id FROM deliveries WHERE client_id = ? ORDER BY seq LIMIT 1 OFFSET 700').raw().get(clientId) as [number, number];
    db.prepare('UPDATE messages SET payload = ? WHERE id = ?').run(Buffer.from('999999'), messageId);

    const sub = mosquittoSub(midge.port, clientId, topic, count - 1);
    children.push(sub.child);
    assert.equal(ranges(await sub.lines), `0-699 701-${count - 1}`);
    assert.equal(drops(broker, 'damaged-in-store'), 1);
    const report = logger.errors.find((e) => e.fields.clientId === clientId);
    assert.ok(report, 'one error line names the client');
    assert.match(JSON.stringify(report.fields), new RegExp(`#${seq}\\b`), 'the line names the seq of the delivery left out');
    await waitUntil(() => broker.sessions.get(clientId)?.queuedCount === 0, 'the queue is empty', 5000);
  });
});
