#!/usr/bin/env node
// The memory of a huge fan-out to offline persistent sessions, and of restarting on
// the store it leaves (issue 15, item 5). Spawns the built broker (`npm run build`
// first) so that its resident memory is its own.
//
//   node scripts/fanout-memory.mjs fanout  [--sessions 20000] [--messages 969] [--payload 100]
//   node scripts/fanout-memory.mjs restart [--retained 200000] [--sessions 20000]
//   node scripts/fanout-memory.mjs all     (both, full size)
//
// fanout:  N persistent sessions (3.1.1, clean session 0) subscribe to one filter at
//          QoS 1 and disconnect; a publisher sends M QoS 1 messages (window 100) and
//          waits for every PUBACK; the broker is stopped (SIGTERM), started again on
//          the store, and one session comes back and reads its whole queue. Reports
//          the broker's peak RSS (VmHWM) and time of each phase, and what the
//          returning session received (count, in order).
// restart: a store with R retained messages and N sessions (each with a subscription),
//          written by the store itself; the time until the restarted broker listens,
//          the CPU time it used until then, and its peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fillRestartStore } from './bench-durable.mjs';

const dist = new URL('../dist/', import.meta.url);
const { PacketFramer, decodePacket, encodePacket } = await import(new URL('protocol/index.js', dist).href);
const CLI = new URL('cli/main.js', dist).pathname;
const MiB = 1024 * 1024;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const what = args[0] ?? 'all';
const results = {};
if (what === 'fanout' || what === 'all') {
  results.fanout = await fanout(opt('sessions', 20_000), opt('messages', 969), opt('payload', 100), opt('timeout', 900));
}
if (what === 'restart' || what === 'all') results.restart = await restart(opt('retained', 200_000), opt('sessions', 20_000));
if (args.includes('--json')) console.log(JSON.stringify(results));

/** CPU time (user + system, ms) a process has used so far, from /proc: less noisy than wall time on a shared machine. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const hz = 100; // USER_HZ (sysconf(_SC_CLK_TCK)), 100 on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / hz;
}

/** Peak and current resident memory of a process, from /proc. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(status.split('\n').find((l) => l.startsWith(key)).split(/\s+/)[1]) * 1024;
  return { peak: kb('VmHWM:'), now: kb('VmRSS:') };
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts the broker on `dir`; resolves once it listens, with the ms that took. */
async function startBroker(dir, port, extra = []) {
  const conf = join(dir, 'midge.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/store`,
    'max_queued_messages 100000', 'max_queued_bytes 0', ...extra,
  ].join('\n'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'broker', '--log-level', 'warn', '-c', conf], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let peak = 0;
  const sampler = setInterval(() => { try { peak = Math.max(peak, memory(child.pid).peak); } catch { /* gone */ } }, 100);
  for (;;) {
    const up = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    const gone = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 50))]);
    if (gone !== undefined) { clearInterval(sampler); throw new Error(`the broker exited (${gone}) before it listened`); }
  }
  const listenMs = performance.now() - t0;
  const listenCpuMs = cpuMs(child.pid);
  return {
    child, listenMs, listenCpuMs,
    peak: () => { try { peak = Math.max(peak, memory(child.pid).peak); } catch { /* gone */ } return peak; },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      clearInterval(sampler);
    },
  };
}

/** A raw 3.1.1 client: CONNECT, then `onPacket` for everything the broker sends. */
function client(port, clientId, clean, onPacket = () => {}) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const framer = new PacketFramer();
    let connected = false;
    socket.on('error', reject);
    socket.on('data', (chunk) => framer.push(chunk, (first, body) => {
      const p = decodePacket(first, body, 4);
      if (!connected && p.type === 2) { connected = true; resolve(socket); } else onPacket(p, socket);
    }));
    socket.write(encodePacket({ type: 1, protocolName: 'MQTT', protocolVersion: 4, clean, keepAlive: 600, clientId }, 4));
  });
}

/** Persistent sessions subscribed to `filter` at QoS 1, offline again; `parallel` at a time. */
async function offlineSessions(port, count, filter, parallel = 100) {
  let next = 0;
  const one = async (i) => {
    let subacked;
    const done = new Promise((r) => { subacked = r; });
    const s = await client(port, `fan-${i}`, false, (p) => { if (p.type === 9) subacked(); });
    s.write(encodePacket({ type: 8, packetId: 1, subscriptions: [{ topicFilter: filter, qos: 1 }] }, 4));
    await done;
    s.end(encodePacket({ type: 14 }, 4));
  };
  await Promise.all(Array.from({ length: parallel }, async () => { while (next < count) await one(next++); }));
}

/** Publishes `count` QoS 1 messages numbered in their first 4 bytes, at most `window` unacknowledged. */
async function publish(port, topic, count, size, window = 100) {
  let acked = 0;
  let sent = 0;
  let finished;
  const done = new Promise((r) => { finished = r; });
  const payload = Buffer.alloc(size, 0x61);
  const send = (s) => {
    while (sent < count && sent - acked < window) {
      payload.writeUInt32BE(sent, 0);
      s.write(encodePacket({ type: 3, topic, payload, qos: 1, retain: false, dup: false, packetId: (sent % 65535) + 1 }, 4));
      sent++;
    }
  };
  const s = await client(port, 'fan-publisher', true, (p, sock) => {
    if (p.type !== 4) return;
    acked++;
    if (acked === count) finished(); else send(sock);
  });
  send(s);
  await done;
  s.end(encodePacket({ type: 14 }, 4));
}

/** A session comes back and reads its queue, acknowledging; resolves with what it got. */
async function drainSession(port, clientId, expected, timeoutMs) {
  let got = 0;
  let inOrder = true;
  let finished;
  const done = new Promise((r) => { finished = r; });
  const timer = setTimeout(() => finished(), timeoutMs);
  const s = await client(port, clientId, false, (p, sock) => {
    if (p.type !== 3) return;
    if (p.payload.readUInt32BE(0) !== got) inOrder = false;
    got++;
    sock.write(encodePacket({ type: 4, packetId: p.packetId }, 4));
    if (got === expected) finished();
  });
  await done;
  clearTimeout(timer);
  s.end(encodePacket({ type: 14 }, 4));
  return { received: got, inOrder };
}

export async function fanout(sessions, messages, payload, timeoutSeconds) {
  const dir = mkdtempSync(join(tmpdir(), 'midge-fanout-'));
  const port = await freePort();
  const row = { sessions, messages, deliveries: sessions * messages, payload };
  let broker;
  try {
    broker = await startBroker(dir, port);
    let t = performance.now();
    await offlineSessions(port, sessions, 'fan/#');
    row.sessionsMs = Math.round(performance.now() - t);
    t = performance.now();
    const published = publish(port, 'fan/x', messages, payload);
    const outcome = await Promise.race([published.then(() => 'ok'), new Promise((r) => setTimeout(() => r('timeout'), timeoutSeconds * 1000))]);
    row.fanoutMs = Math.round(performance.now() - t);
    row.fanoutOutcome = outcome;
    row.fanoutPeakMiB = Math.round(broker.peak() / MiB);
    await broker.stop();
    if (outcome !== 'ok') return row;
    t = performance.now();
    broker = await startBroker(dir, await freePort().then((p) => { row.restartPort = p; return p; }));
    row.restartMs = Math.round(broker.listenMs);
    row.restartPeakMiB = Math.round(broker.peak() / MiB);
    const drained = await drainSession(row.restartPort, 'fan-0', messages, 120_000);
    row.returning = drained;
    row.afterDrainPeakMiB = Math.round(broker.peak() / MiB);
    await broker.stop();
  } finally {
    if (broker?.child.exitCode === null && broker.child.signalCode === null) await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`fanout: ${row.sessions} sessions x ${row.messages} messages (${row.deliveries} deliveries): `
    + `${row.fanoutOutcome} in ${row.fanoutMs} ms, peak RSS ${row.fanoutPeakMiB} MiB; restart listened in ${row.restartMs ?? '-'} ms, `
    + `peak RSS ${row.restartPeakMiB ?? '-'} MiB; returning session got ${row.returning?.received ?? '-'} of ${row.messages} `
    + `(${row.returning?.inOrder ? 'in order' : 'OUT OF ORDER'}), peak RSS then ${row.afterDrainPeakMiB ?? '-'} MiB`);
  return row;
}

export async function restart(retained, sessions) {
  const { SqliteStore } = await import(new URL('persistence/index.js', dist).href);
  const dir = mkdtempSync(join(tmpdir(), 'midge-restart-'));
  try {
    await fillRestartStore(SqliteStore, join(dir, 'store'), retained, sessions);
    const broker = await startBroker(dir, await freePort());
    let row;
    try {
      await new Promise((r) => setTimeout(r, 500));
      row = { retained, sessions, listenMs: Math.round(broker.listenMs), cpuMs: Math.round(broker.listenCpuMs), peakMiB: Math.round(broker.peak() / MiB) };
    } finally {
      await broker.stop();
    }
    console.log(`restart: ${retained} retained and ${sessions} sessions: listening after ${row.listenMs} ms `
      + `(broker CPU ${row.cpuMs} ms, user + system), peak RSS ${row.peakMiB} MiB`);
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(0);
