#!/usr/bin/env node
// What an idle MQTT connection costs the broker (issue 19): starts a midge broker (dist/),
// takes a heap snapshot, opens N idle connections (MQTT 3.1.1 or 5, clean or persistent
// sessions), takes another, and prints RSS and heap per connection and the constructors
// whose self size grew the most (per connection). Run after `npm run build`.
//   node scripts/conn-memory.mjs [--conns 5000] [--version 4|5] [--persistent] [--top 25] [--no-snapshot] [--cli PATH]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, waitForPort } from './bench/ports.mjs';
import { MIDGE_CLI, withFdLimit } from './bench/brokers.mjs';

const { values } = parseArgs({
  options: {
    conns: { type: 'string', default: '5000' }, version: { type: 'string', default: '4' }, persistent: { type: 'boolean' },
    top: { type: 'string', default: '25' }, 'no-snapshot': { type: 'boolean' }, cli: { type: 'string' },
  },
});
const conns = Number(values.conns);
const version = Number(values.version);
const snapshots = !values['no-snapshot'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A CONNECT packet (3.1.1 or 5, no properties), keep alive 60 s. */
function connectPacket(clientId, clean) {
  const id = Buffer.from(clientId);
  const head = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, version, clean ? 0x02 : 0, 0, 60]);
  const props = version === 5 ? Buffer.from([0]) : Buffer.alloc(0);
  const body = Buffer.concat([head, props, Buffer.from([id.length >> 8, id.length & 255]), id]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

/** Signals the broker to write a heap snapshot into `dir` and waits until it is complete. */
async function snapshot(pid, dir) {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (;;) {
    await sleep(200);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const path = join(dir, file);
    const size = statSync(path).size;
    await sleep(500);
    if (size > 0 && statSync(path).size === size) {
      try { return parseSnapshot(JSON.parse(readFileSync(path, 'utf8'))); } catch { /* still writing */ }
    }
  }
}

/**
 * Self size and count per "type:name" (objects by constructor, strings and code by type), and
 * each node's id and its first retainer ("Constructor.edge"), to tell whose Objects and arrays grew.
 */
function parseSnapshot(snap) {
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields.length;
  const types = meta.node_types[0];
  const [ti, ni, si, ii, ei] = ['type', 'name', 'self_size', 'id', 'edge_count'].map((f) => meta.node_fields.indexOf(f));
  const efields = meta.edge_fields.length;
  const etypes = meta.edge_types[0];
  const [eti, eni, eto] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f));
  const nodes = snap.nodes;
  const keyOf = (i) => {
    const type = types[nodes[i + ti]];
    const name = ['object', 'closure', 'native', 'hidden'].includes(type) ? snap.strings[nodes[i + ni]] : '';
    return `${type}:${name.slice(0, 60)}`;
  };
  const byKey = new Map();
  const retainer = new Map();
  let total = 0;
  let edge = 0;
  for (let i = 0; i < nodes.length; i += fields) {
    const size = nodes[i + si];
    total += size;
    const key = keyOf(i);
    const e = byKey.get(key) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    byKey.set(key, e);
    const from = keyOf(i).replace(/^object:/, '');
    for (let k = 0; k < nodes[i + ei]; k++, edge += efields) {
      const et = etypes[snap.edges[edge + eti]];
      if (et === 'weak' || et === 'shortcut') continue;
      const to = snap.edges[edge + eto];
      if (retainer.has(to)) continue;
      const n = snap.edges[edge + eni];
      retainer.set(to, `${from}.${et === 'element' || et === 'hidden' ? `[${et}]` : snap.strings[n]}`);
    }
  }
  const list = [];
  for (let i = 0; i < nodes.length; i += fields) {
    list.push({ id: nodes[i + ii], key: keyOf(i), size: nodes[i + si], by: retainer.get(i) ?? '' });
  }
  return { total, byKey, list };
}

function openAll(port, persistent) {
  const sockets = [];
  let next = 0;
  let ready = 0;
  return new Promise((resolve, reject) => {
    const launch = () => {
      while (next < conns && next - ready < 100) {
        const i = next++;
        const s = connect({ host: '127.0.0.1', port });
        sockets.push(s);
        s.once('connect', () => s.write(connectPacket(`idle-${i}`, !persistent)));
        s.once('data', (d) => {
          if (d[0] !== 0x20) return reject(new Error(`no CONNACK for ${i}`));
          ready++;
          if (ready === conns) resolve(sockets);
          else launch();
        });
        s.on('error', reject);
      }
    };
    launch();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'midge-connmem-'));
const port = await freePort();
const cli = values.cli ?? MIDGE_CLI;
const argv = withFdLimit([process.execPath, '--heapsnapshot-signal=SIGUSR2', cli, 'broker', '--host', '127.0.0.1', '--port', String(port),
  '--no-persistence', '--log-level', 'warn']);
const broker = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
let sockets = [];
try {
  await waitForPort(port);
  // Warm the code paths up with one round of connections, so that their compiled code is in both snapshots.
  const warm = await openAll(port, values.persistent);
  for (const s of warm) s.destroy();
  await sleep(1500);
  const rss0 = rssKiB(broker.pid);
  const s0 = snapshots ? await snapshot(broker.pid, dir) : undefined;
  const rss0b = rssKiB(broker.pid);
  sockets = await openAll(port, values.persistent);
  await sleep(1500);
  const rss1 = rssKiB(broker.pid);
  const s1 = snapshots ? await snapshot(broker.pid, dir) : undefined;
  const label = `MQTT ${version === 5 ? '5' : '3.1.1'}, ${values.persistent ? 'persistent' : 'clean'} sessions`;
  console.log(`${conns} idle connections, ${label}`);
  console.log(`  RSS  ${((rss1 - (snapshots ? rss0b : rss0)) / conns).toFixed(2)} KiB per connection`);
  if (s0 && s1) {
    console.log(`  heap ${((s1.total - s0.total) / conns / 1024).toFixed(2)} KiB per connection (heap snapshot, self sizes)`);
    const rows = [...s1.byKey].map(([key, e]) => {
      const b = s0.byKey.get(key) ?? { size: 0, count: 0 };
      return { key, bytes: (e.size - b.size) / conns, count: (e.count - b.count) / conns };
    }).sort((a, b) => b.bytes - a.bytes).slice(0, Number(values.top));
    for (const r of rows) console.log(`  ${r.bytes.toFixed(0).padStart(6)} B  ${r.count.toFixed(2).padStart(6)}×  ${r.key}`);
    // The new nodes by what holds them: whose Objects, arrays and closures they are.
    const old = new Set(s0.list.map((n) => n.id));
    const held = new Map();
    for (const n of s1.list) {
      if (old.has(n.id)) continue;
      const k = `${n.key} <- ${n.by}`;
      const e = held.get(k) ?? { size: 0, count: 0 };
      e.size += n.size;
      e.count++;
      held.set(k, e);
    }
    console.log('  new nodes by retainer:');
    for (const [k, e] of [...held].sort((a, b) => b[1].size - a[1].size).slice(0, Number(values.top) * 2)) {
      console.log(`  ${(e.size / conns).toFixed(0).padStart(6)} B  ${(e.count / conns).toFixed(2).padStart(6)}×  ${k}`);
    }
  }
} finally {
  for (const s of sockets) s.destroy();
  broker.kill('SIGTERM');
  await new Promise((r) => broker.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
