#!/usr/bin/env node
// Fan-in across two cluster nodes: publishers on node 1, one `#` subscriber on node 2,
// both nodes `midge broker --cluster` on one redis-server; beside it, the same load on
// one node without a cluster, for comparison. Self-contained; run after the build
// (it spawns dist/cli/main.js and uses dist/protocol):
//   node scripts/bench-cluster.mjs [--publishers 4] [--seconds 5] [--qos 1] [--sub-qos 0] [--payload 64] [--window 50] [--json]
// Publishers publish at --qos with --window unacknowledged each; the subscriber subscribes
// at --sub-qos (0 by default, so that its own acknowledgements are not what is measured).
// Prints a table (and, with --json, one JSON object per scenario).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/cli/main.js');
const { PacketFramer, PacketType, decodePacket, encodePacket } = await import(join(root, 'dist/protocol/index.js'));
const REDIS = '/usr/bin/redis-server';

const { values: opts } = parseArgs({
  options: {
    publishers: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    qos: { type: 'string', default: '1' },
    'sub-qos': { type: 'string', default: '0' },
    payload: { type: 'string', default: '64' },
    window: { type: 'string', default: '50' },
    scenarios: { type: 'string', default: 'single,cluster' },
    json: { type: 'boolean', default: false },
  },
});
const settings = {
  publishers: Number(opts.publishers), seconds: Number(opts.seconds), warmup: Number(opts.warmup),
  qos: Number(opts.qos), subQos: Number(opts['sub-qos']), payload: Math.max(16, Number(opts.payload)), window: Number(opts.window),
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A process of this run, stopped by pid at the end. */
async function start(command, args, port, cwd) {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await Promise.race([waitForPort(port), exited.then(() => { throw new Error(`${command} exited: ${err}`); })]);
  return { stop: async () => { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } } };
}

/** A bare MQTT 3.1.1 client on the built codec. */
async function client(port, clientId, onPacket) {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const framer = new PacketFramer();
  let connacked;
  const ready = new Promise((resolve) => { connacked = resolve; });
  socket.on('data', (chunk) => framer.push(chunk, (first, body) => {
    const p = decodePacket(first, body, 4);
    if (p.type === PacketType.CONNACK) connacked();
    else onPacket(p);
  }));
  socket.on('error', () => {});
  const send = (p) => socket.write(encodePacket(p, 4));
  send({ type: PacketType.CONNECT, protocolName: 'MQTT', protocolVersion: 4, clean: true, keepAlive: 60, clientId });
  await ready;
  return { send, socket, close: () => socket.destroy() };
}

function percentile(sorted, p) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Publishers on `pubPort`, the `#` subscriber on `subPort`: messages per second received, latency. */
async function measure(pubPort, subPort) {
  const { qos, subQos, publishers, payload, window } = settings;
  let received = 0;
  let acknowledged = 0;
  let counting = false;
  let probed = false;
  const latencies = [];
  const sub = await client(subPort, 'bench-sub', (p) => {
    if (p.type !== PacketType.PUBLISH) return;
    if (p.qos > 0) sub.send({ type: PacketType.PUBACK, packetId: p.packetId });
    if (p.topic === 'bench/probe') { probed = true; return; }
    if (!counting) return;
    received++;
    latencies.push(Number(process.hrtime.bigint() - p.payload.readBigUInt64BE(0)) / 1e6);
  });
  sub.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '#', qos: subQos }] });
  // The subscription reaches node 1 within milliseconds: probe until it routes.
  const prober = await client(pubPort, 'bench-probe', () => {});
  for (let i = 0; !probed; i++) {
    if (i > 200) throw new Error('the subscription never reached the publishers\' node');
    prober.send({ type: PacketType.PUBLISH, topic: 'bench/probe', payload: Buffer.from('p'), qos: 0, retain: false, dup: false });
    await sleep(50);
  }
  prober.close();
  let running = true;
  const pubs = [];
  for (let i = 0; i < publishers; i++) {
    let inflight = 0;
    let id = 0;
    const body = Buffer.alloc(payload);
    const pub = await client(pubPort, `bench-pub-${i}`, (p) => {
      if (p.type !== PacketType.PUBACK) return;
      inflight--;
      if (counting) acknowledged++;
      pump();
    });
    // QoS 0: bursts of `window` messages per turn while the socket takes them (loopback
    // writes rarely buffer, so the buffer alone would never stop the loop).
    let scheduled = false;
    const pump = () => {
      let burst = 0;
      while (running && (qos === 0 ? burst++ < window && pub.socket.writableLength < 256 * 1024 : inflight < window)) {
        id = (id % 65535) + 1;
        const bytes = Buffer.from(body);
        bytes.writeBigUInt64BE(process.hrtime.bigint(), 0);
        pub.send({ type: PacketType.PUBLISH, topic: `bench/${i}`, payload: bytes, qos, retain: false, dup: false, packetId: qos > 0 ? id : undefined });
        if (qos > 0) inflight++;
      }
      if (qos === 0 && running && !scheduled && pub.socket.writableLength < 256 * 1024) {
        scheduled = true;
        setTimeout(() => { scheduled = false; pump(); }, 0);
      }
    };
    if (qos === 0) pub.socket.on('drain', pump);
    pubs.push({ pub, pump });
  }
  for (const { pump } of pubs) pump();
  await sleep(settings.warmup * 1000);
  counting = true;
  const started = Date.now();
  await sleep(settings.seconds * 1000);
  counting = false;
  const elapsed = (Date.now() - started) / 1000;
  running = false;
  for (const { pub } of pubs) pub.close();
  sub.close();
  latencies.sort((a, b) => a - b);
  return {
    messagesPerSecond: Math.round(received / elapsed),
    acknowledgedPerSecond: Math.round(acknowledged / elapsed),
    latencyMs: { p50: +percentile(latencies, 50).toFixed(2), p99: +percentile(latencies, 99).toFixed(2), max: +(latencies.at(-1) ?? 0).toFixed(2) },
  };
}

async function single(dir) {
  const port = await freePort();
  const node = await start(process.execPath, [cli, 'broker', '--port', String(port), '--no-persistence', '--log-level', 'warn'], port, dir);
  try {
    return await measure(port, port);
  } finally {
    await node.stop();
  }
}

async function cluster(dir) {
  if (!existsSync(REDIS)) throw new Error(`${REDIS} is not installed`);
  const redisPort = await freePort();
  const redis = await start(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], redisPort, dir);
  const url = `redis://127.0.0.1:${redisPort}`;
  const nodes = [];
  try {
    for (const name of ['n1', 'n2']) {
      const port = await freePort();
      nodes.push({ port, proc: await start(process.execPath, [cli, 'broker', '--port', String(port), '--cluster', url, '--cluster-node-id', name, '--log-level', 'warn'], port, dir) });
    }
    return await measure(nodes[0].port, nodes[1].port);
  } finally {
    for (const n of nodes) await n.proc.stop();
    await redis.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'midge-bench-cluster-'));
const rows = [];
try {
  for (const name of opts.scenarios.split(',')) {
    const result = name === 'cluster' ? await cluster(dir) : await single(dir);
    const row = { scenario: name === 'cluster' ? 'fan-in across 2 nodes (cluster)' : 'fan-in on 1 node (no cluster)', ...settings, ...result };
    rows.push(row);
    if (opts.json) console.log(JSON.stringify(row));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\n${settings.publishers} publishers (QoS ${settings.qos}, window ${settings.window}) -> 1 subscriber of '#' (QoS ${settings.subQos}), ${settings.payload}-byte payloads, ${settings.seconds} s measured`);
console.log('| scenario | received msg/s | acknowledged msg/s | p50 ms | p99 ms |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const acked = settings.qos === 0 ? '-' : r.acknowledgedPerSecond.toLocaleString('en');
  console.log(`| ${r.scenario} | ${r.messagesPerSecond.toLocaleString('en')} | ${acked} | ${r.latencyMs.p50} | ${r.latencyMs.p99} |`);
}
