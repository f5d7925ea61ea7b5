#!/usr/bin/env node
// The durable scenario of `npm run bench` (issue 5), and restart times.
//
//   node scripts/bench-durable.mjs [stream|restart|commit|all] [--messages N] [--retained N] [--sessions N]
//                                  [--only TEXT] [--repeat N] [--json]
//   node scripts/bench-durable.mjs store-cpu [--rounds N] [other-checkout ...]
//
// stream:  a persistent QoS 1 subscriber (clean session 0, online, acknowledging) and a
//          QoS 1 publisher with a window of 1000, through a broker in this process, with
//          no store (the in-memory figure), SQLite sync normal, and SQLite sync full (WAL
//          fsynced on the thread pool, or by SQLite inside the commit), and both with the
//          commits in a worker thread. The clients run in a worker thread of their own so
//          that the broker has the main thread to itself. --only runs the variant named TEXT, or those
//          whose name contains it; --repeat runs each N times in a row (the first warms the JIT up).
// restart: a store holding N retained messages and N sessions (each with a subscription);
//          how long the broker takes to open it, check it and restore everything.
// commit:  one batch writer on the main thread versus the same writes shipped to a worker
//          thread: main-thread time per commit, and commit latency.
// store-cpu: what the store costs the main thread per commit of 50 messages and their
//          deliveries (SqliteStore, sync normal) and to restore them, for this checkout and
//          each other one named (built, e.g. `git worktree add` of another commit), in turns
//          within one process: medians, and ratios to the first. Not part of `all`.
// Needs `npm run build` first (it loads dist/).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const protocol = await import(new URL('protocol/index.js', dist).href);

if (!isMainThread) {
  await runClients(workerData);
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}

/** The load: one persistent subscriber and one publisher, 3.1.1, raw packets. */
async function runClients({ port, messages, window }) {
  const { PacketFramer, decodePacket, encodePacket } = protocol;
  const open = (clientId, clean, onPacket) => new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const framer = new PacketFramer();
    let connected = false;
    socket.on('data', (chunk) => framer.push(chunk, (first, body) => {
      const p = decodePacket(first, body, 4);
      if (!connected && p.type === 2) {
        connected = true;
        resolve(socket);
      } else onPacket(p, socket);
    }));
    socket.write(encodePacket({ type: 1, protocolName: 'MQTT', protocolVersion: 4, clean, keepAlive: 60, clientId }, 4));
  });
  let received = 0;
  let done;
  const finished = new Promise((r) => { done = r; });
  const sub = await open('bench-durable-sub', false, (p, s) => {
    if (p.type === 9) return parentPort.postMessage({ subscribed: true });
    if (p.type !== 3) return;
    s.write(encodePacket({ type: 4, packetId: p.packetId }, 4));
    if (++received === messages) done();
  });
  const subscribed = new Promise((r) => parentPort.once('message', r));
  sub.write(encodePacket({ type: 8, packetId: 1, subscriptions: [{ topicFilter: 'bench/durable', qos: 1 }] }, 4));
  await subscribed;
  let acked = 0;
  let next = 1;
  const payload = Buffer.alloc(64, 120);
  let pub;
  const fill = () => {
    const chunks = [];
    while (next <= messages && next - 1 - acked < window) {
      chunks.push(encodePacket({ type: 3, topic: 'bench/durable', payload, qos: 1, retain: false, dup: false, packetId: (next % 65535) + 1 }, 4));
      next++;
    }
    if (chunks.length > 0) pub.write(Buffer.concat(chunks));
  };
  pub = await open('bench-durable-pub', true, (p) => {
    if (p.type !== 4) return;
    acked++;
    fill();
  });
  const started = performance.now();
  fill();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  parentPort.postMessage({ rate: messages / seconds, seconds, received });
  sub.destroy();
  pub.destroy();
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const what = args.find((a) => !a.startsWith('--') && Number.isNaN(Number(a))) ?? 'all';
  const results = {};
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  if (what === 'stream' || what === 'all') results.stream = await streamScenarios(opt('messages', 50_000), { only, repeat: opt('repeat', 1) });
  if (what === 'restart' || what === 'all') results.restart = await restartTime(opt('retained', 100_000), opt('sessions', 10_000));
  if (what === 'commit' || what === 'all') results.commit = await commitPlacement();
  if (what === 'store-cpu') {
    const others = args.filter((a, i) => i > args.indexOf('store-cpu') && !a.startsWith('--') && args[i - 1] !== '--rounds');
    results.storeCpu = await storeCpu([new URL('..', import.meta.url).pathname, ...others], opt('rounds', 15));
  }
  if (args.includes('--json')) console.log(JSON.stringify(results, null, 2));
}

/** The durable stream beside the in-memory one. */
export async function streamScenarios(messages = 50_000, { only, repeat = 1 } = {}) {
  const { startServer } = await import(new URL('server/index.js', dist).href);
  const { SqliteStore } = await import(new URL('persistence/index.js', dist).href);
  const variants = [
    ['in-memory (no store)', () => undefined],
    ['sqlite, sync normal', (dir) => new SqliteStore({ location: dir, sync: 'normal' })],
    ['sqlite, sync full (async fsync)', (dir) => new SqliteStore({ location: dir, sync: 'full' })],
    ['sqlite, sync full (fsync in commit)', (dir) => new SqliteStore({ location: dir, sync: 'full', fsync: 'sqlite' })],
    ['sqlite, sync normal, worker commits', (dir) => new SqliteStore({ location: dir, sync: 'normal', commitThread: 'worker' })],
    ['sqlite, sync full, worker commits', (dir) => new SqliteStore({ location: dir, sync: 'full', commitThread: 'worker' })],
  ];
  const out = [];
  console.log(`durable stream: ${messages} QoS 1 messages of 64 bytes, persistent subscriber online, publisher window 1000`);
  const exact = variants.some(([name]) => name === only);
  const runs = variants.filter(([name]) => only === undefined || (exact ? name === only : name.includes(only))).flatMap((v) => Array(repeat).fill(v));
  for (const [name, make] of runs) {
    const dir = mkdtempSync(join(tmpdir(), 'midge-bench-durable-'));
    const store = make(dir);
    const server = await startServer({
      listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }],
      broker: { store, limits: { maxQueuedMessages: messages, maxInflightMessages: 1000 } },
    });
    const lag = eventLoopLag();
    const cpuBefore = mainThreadCpuMs();
    const worker = new Worker(new URL(import.meta.url), { workerData: { port: server.listeners[0].port, messages, window: 1000 } });
    const result = await new Promise((resolve, reject) => {
      worker.on('message', (m) => (m.subscribed ? worker.postMessage('go') : resolve(m)));
      worker.once('error', reject);
    });
    const maxLagMs = lag.stop();
    const cpuAfter = mainThreadCpuMs();
    const cpuUsPerMsg = cpuBefore === undefined ? undefined : +((cpuAfter - cpuBefore) * 1000 / messages).toFixed(2);
    await worker.terminate();
    const m = store?.metrics;
    const row = {
      name, msgsPerSec: Math.round(result.rate), lost: messages - result.received,
      mainThreadCpuUsPerMsg: cpuUsPerMsg,
      commits: m?.commits ?? 0,
      recordsPerCommit: m ? +(m.records / Math.max(1, m.commits)).toFixed(1) : 0,
      avgCommitMs: m ? +(m.totalMs / Math.max(1, m.commits)).toFixed(3) : 0,
      maxCommitMs: m ? +m.maxMs.toFixed(2) : 0,
      maxEventLoopLagMs: +maxLagMs.toFixed(1),
    };
    out.push(row);
    console.log(`  ${name.padEnd(38)} ${String(row.msgsPerSec).padStart(7)} msg/s (${row.lost} lost), main thread ${row.mainThreadCpuUsPerMsg} us/msg; commits ${row.commits}, `
      + `${row.recordsPerCommit} records each, ${row.avgCommitMs} ms avg, ${row.maxCommitMs} ms max; event loop lag max ${row.maxEventLoopLagMs} ms`);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/**
 * CPU time (ms) of the main thread alone, from /proc (Linux): the broker's event loop is
 * the scarce resource, and unlike wall-clock throughput this hardly moves when other
 * processes share the machine. `schedstat` counts nanoseconds (`stat` only 10 ms ticks,
 * too coarse to compare two builds); undefined elsewhere.
 */
function mainThreadCpuMs() {
  const task = `/proc/self/task/${process.pid}`;
  try {
    return Number(readFileSync(`${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    try {
      const fields = readFileSync(`${task}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return undefined;
    }
  }
}

/** Largest delay of a 1 ms timer while the scenario runs: how long the event loop was blocked. */
function eventLoopLag() {
  let max = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - 1);
    last = now;
  }, 1);
  return { stop: () => { clearInterval(timer); return max; } };
}

/**
 * Main-thread CPU (schedstat) of 200 commits of 50 messages of 64 bytes and their
 * deliveries, then of restoring the 10,000 of each, per checkout; builds alternate
 * round by round so that the machine's load falls on all of them alike.
 */
export async function storeCpu(checkouts, rounds = 15) {
  const cpuUs = () => mainThreadCpuMs() * 1000;
  const stores = [];
  for (const dir of checkouts) stores.push((await import(pathToFileURL(join(dir, 'dist/persistence/index.js')).href)).SqliteStore);
  const payload = Buffer.alloc(64, 120);
  const once = async (SqliteStore) => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-bench-store-cpu-'));
    const store = new SqliteStore({ location: dir });
    await store.open();
    await store.restore();
    let id = 0;
    const t0 = cpuUs();
    for (let c = 0; c < 200; c++) {
      for (let i = 0; i < 50; i++) {
        store.saveMessage({ id: ++id, topic: 'bench/durable', payload, qos: 1, retain: false, properties: undefined, createdAt: Date.now(), expiresAt: undefined, origin: 'bench-durable-pub', confidential: false });
        store.saveDelivery({ clientId: 'bench-durable-sub', seq: id, messageId: id, qos: 1, retain: false, subscriptionIds: undefined, packetId: undefined, state: 'queued' });
      }
      await store.commit();
    }
    const commitUs = (cpuUs() - t0) / 200;
    await store.close();
    const again = new SqliteStore({ location: dir });
    const t1 = cpuUs();
    await again.open();
    const restored = (await again.restore()).deliveries.length;
    const restoreMs = (cpuUs() - t1) / 1000;
    await again.close();
    rmSync(dir, { recursive: true, force: true });
    if (restored !== id) throw new Error(`restored ${restored} of ${id} deliveries`);
    return { commitUs, restoreMs };
  };
  const runs = checkouts.map(() => ({ commitUs: [], restoreMs: [] }));
  for (const s of stores) await once(s);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < stores.length; k++) {
      const i = r % 2 ? stores.length - 1 - k : k;
      const { commitUs, restoreMs } = await once(stores[i]);
      runs[i].commitUs.push(commitUs);
      runs[i].restoreMs.push(restoreMs);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return checkouts.map((dir, i) => {
    const ratio = (what) => +(median(runs[i][what]) / median(runs[0][what])).toFixed(3);
    const row = {
      checkout: dir, commitUs: Math.round(median(runs[i].commitUs)), restoreMs: Math.round(median(runs[i].restoreMs)),
      commitRatio: ratio('commitUs'), restoreRatio: ratio('restoreMs'),
    };
    console.log(`store cpu ${dir}: commit of 50 messages + 50 deliveries ${row.commitUs} us (${row.commitRatio}x), `
      + `restore of 10,000 of each ${row.restoreMs} ms (${row.restoreRatio}x), median of ${rounds}; 0 of 10,000 lost on restore`);
    return row;
  });
}

/**
 * Writes `retained` retained messages (100-byte payloads under site/N/device/I) and `sessions`
 * persistent sessions with one `site/N/#` subscription each into a new SQLite store at `location`:
 * the store of the restart measurements here and in scripts/fanout-memory.mjs.
 */
export async function fillRestartStore(SqliteStore, location, retained, sessions) {
  const fill = new SqliteStore({ location });
  await fill.open();
  await fill.restore();
  const payload = Buffer.alloc(100, 97);
  for (let i = 0; i < retained; i++) {
    const topic = `site/${i % 100}/device/${i}`;
    fill.setRetained(topic, {
      id: i + 1, topic, payload, qos: 1, retain: true, properties: undefined,
      createdAt: Date.now(), expiresAt: undefined, origin: 'bench', confidential: false,
    });
    if (i % 10_000 === 9_999) await fill.commit();
  }
  for (let i = 0; i < sessions; i++) {
    const clientId = `client-${i}`;
    fill.saveSession({ clientId, protocolVersion: 4, expiryInterval: 0xffffffff, disconnectedAt: Date.now(), will: undefined, username: undefined });
    fill.saveSubscription({ clientId, filter: `site/${i % 100}/#`, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: undefined });
  }
  await fill.close();
}

/** Fills a store with retained messages and sessions, then times a broker's start on it. */
export async function restartTime(retained = 100_000, sessions = 10_000) {
  const { Broker } = await import(new URL('broker/index.js', dist).href);
  const { SqliteStore } = await import(new URL('persistence/index.js', dist).href);
  const dir = mkdtempSync(join(tmpdir(), 'midge-bench-restart-'));
  await fillRestartStore(SqliteStore, dir, retained, sessions);
  // The parts: open (integrity check included) and read, then the whole broker start.
  const probe = new SqliteStore({ location: dir });
  let t = performance.now();
  await probe.open();
  const openMs = performance.now() - t;
  t = performance.now();
  await probe.restore();
  const readMs = performance.now() - t;
  await probe.close();
  const t0 = performance.now();
  const broker = new Broker({ store: new SqliteStore({ location: dir }) });
  await broker.start();
  const ms = performance.now() - t0;
  const row = {
    retained: broker.retained.size, sessions: broker.sessions.size, startMs: Math.round(ms),
    openMs: Math.round(openMs), readMs: Math.round(readMs),
  };
  console.log(`restart: ${row.retained} retained messages and ${row.sessions} sessions restored in ${row.startMs} ms `
    + `(open and integrity check ${row.openMs} ms, reading the rows ${row.readMs} ms, the rest rebuilding the broker)`);
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  return row;
}

/** Where commits should run: the same batches on the main thread, and shipped to a worker. */
export async function commitPlacement() {
  const { default: Database } = await import('better-sqlite3');
  const batches = 2000;
  const perBatch = 50;
  const makeBatch = (b) => {
    const messages = new Map();
    const deliveries = new Map();
    for (let i = 0; i < perBatch; i++) {
      const id = b * perBatch + i + 1;
      messages.set(id, { id, topic: 'bench/durable', payload: Buffer.alloc(64, 120), qos: 1, retain: false, properties: undefined, createdAt: Date.now(), expiresAt: undefined, origin: 'p', confidential: false });
      deliveries.set(id, { clientId: 's', seq: id, messageId: id, qos: 1, retain: false, subscriptionIds: undefined, packetId: undefined, state: 'queued' });
    }
    return { clients: new Map([['s', { cleared: false, session: undefined, subscriptions: new Map(), deliveries, inbound: new Map() }]]), messages, retained: new Map() };
  };
  const out = {};
  for (const sync of ['NORMAL', 'FULL']) {
    const dir = mkdtempSync(join(tmpdir(), 'midge-bench-commit-'));
    const { ensureSchema } = await import(new URL('persistence/sqlite-schema.js', dist).href);
    const { BatchWriter } = await import(new URL('persistence/sqlite-writer.js', dist).href);
    const db = new Database(join(dir, 'main.db'));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${sync}`);
    ensureSchema(db);
    const writer = new BatchWriter(db);
    const all = Array.from({ length: batches }, (_, b) => makeBatch(b));
    let t = performance.now();
    let commit = 0;
    for (const b of all) writer.write([b], ++commit);
    const mainUs = (performance.now() - t) * 1000 / batches;
    db.close();
    // The worker variant: the main thread pays for the structured clone; the worker writes.
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.sqlite);
      Promise.all([import(workerData.schema), import(workerData.writer)]).then(([{ ensureSchema }, { BatchWriter }]) => {
        const db = new Database(workerData.file);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = ' + workerData.sync);
        ensureSchema(db);
        const writer = new BatchWriter(db);
        let commit = 0;
        parentPort.postMessage('ready');
        parentPort.on('message', (b) => {
          for (const m of b.messages.values()) m.payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
          writer.write([b], ++commit);
          parentPort.postMessage('done');
        });
      });`, { eval: true, workerData: { file: join(dir, 'worker.db'), sync, sqlite: new URL('../node_modules/better-sqlite3/lib/index.js', import.meta.url).pathname, schema: new URL('persistence/sqlite-schema.js', dist).href, writer: new URL('persistence/sqlite-writer.js', dist).href } });
    await new Promise((r) => worker.once('message', r));
    let postUs = 0;
    let latencyUs = 0;
    const fresh = Array.from({ length: batches }, (_, b) => makeBatch(b));
    for (const b of fresh) {
      t = performance.now();
      worker.postMessage(b);
      const posted = performance.now();
      postUs += (posted - t) * 1000;
      await new Promise((r) => worker.once('message', r));
      latencyUs += (performance.now() - t) * 1000;
    }
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
    out[sync.toLowerCase()] = { mainThreadCommitUs: +mainUs.toFixed(1), workerPostUs: +(postUs / batches).toFixed(1), workerCommitLatencyUs: +(latencyUs / batches).toFixed(1) };
    console.log(`commit of ${perBatch} messages + ${perBatch} deliveries, synchronous=${sync}: main thread ${mainUs.toFixed(0)} us blocked per commit; `
      + `worker: ${(postUs / batches).toFixed(0)} us of main thread to post, ${(latencyUs / batches).toFixed(0)} us until done`);
  }
  return out;
}
