// The scenarios of `npm run bench` (see ../shared/README.md, "Benchmark scenarios").
//
// To add one, append an entry:
//   name, title          how it is called and described in the table
//   figures              what it reports: key, label, unit, better ('higher' | 'lower')
//   midge(ctx)           arguments of `midge bench` (after which -p, -d, --warmup, --broker-pid,
//                        --json, --quiet and -w are added)
//   mqbench(ctx)         arguments of mqbench, or leave it out when mqbench cannot run it
//   fromMidge(summary), fromMqbench(keyValues)   the figures out of each generator's result
//   brokers              optional: the brokers it applies to (default: all)
//   workers              optional: midge bench worker threads for this scenario (default: --workers)
//   holds                true when the generator holds connections for --hold instead of measuring
//   minWarmupS           optional: the least warm-up this scenario is measured after (not in --quick runs)
//   brokerArgs           optional: extra arguments per broker ({ midge: [...], aedes: [...] }), or
//                        per broker a function of ctx returning them; for mosquitto, extra
//                        configuration lines
//   setup(ctx)           optional: async, before the broker starts (e.g. start a second node or
//                        Redis); may return { env, subPort, cleanup } - env goes to the broker,
//                        subPort sends subscribers to another port (midge bench --sub-port)
//
//   secure               'tls', 'tls-cert' or 'ws': the secure listener it needs (scripts/bench/secure.mjs)
//   loadPort             set by setup (secure scenarios): the generator loads this port, while the
//                        runner probes the plain listener on ctx.port
//
// ctx: { port, pid, durationS, warmupS, conns, hold, fleet, dir, quick }.
// Payloads are 64 bytes except in fanin-16k and burst; the windows match mqbench's defaults
// so that both generators put the same depth of messages in flight. Every rate is reported
// with the messages lost beside it.

import { startClusterPeer } from './cluster.mjs';
import { generatorFlags, listenerLines, midgeSecureArgs, secureListener } from './secure.mjs';

const PAYLOAD = ['-s', '64'];
let durableRun = 0;

/** @type {Array<Record<string, any>>} */
export const scenarios = [
  {
    name: 'fanin',
    title: 'fan-in: 50 publishers on bench/<i>, 1 subscriber on bench/#, QoS 0',
    figures: [{ key: 'rate', label: 'msgs/s received', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '50', '-S', '1', '-t', 'bench/%i', '-T', 'bench/#', '-q', '0', '--e2e-window', '64', ...PAYLOAD],
    mqbench: () => ['-s', 'fanin', '-P', '50', '-m', '64'],
    fromMidge: (s) => ({ rate: s.messages.receivedPerSecond }),
    fromMqbench: (kv) => ({ rate: Number(kv.recv_rate) }),
  },
  {
    // Issue 14: fan-in with 16 KB payloads, where a broker that drops on a congested socket
    // instead of pausing its publishers loses messages (the 64-byte scenarios never fill one).
    name: 'fanin-16k',
    title: 'fan-in, 16 KB payloads: 50 publishers on bench/<i>, 1 subscriber on bench/#, QoS 0',
    figures: [{ key: 'rate', label: 'msgs/s received', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '50', '-S', '1', '-t', 'bench/%i', '-T', 'bench/#', '-q', '0', '--e2e-window', '64', '-s', '16384'],
    mqbench: () => ['-s', 'fanin', '-P', '50', '-m', '16384'],
    fromMidge: (s) => ({ rate: s.messages.receivedPerSecond }),
    fromMqbench: (kv) => ({ rate: Number(kv.recv_rate) }),
  },
  {
    // Issue 14: one publisher writes 20,000 messages of 1 KB (20 MB) at once, then a quarter of
    // that each time a quarter has arrived, to 2 subscribers that read as fast as they can.
    name: 'burst',
    title: 'burst: 1 publisher writing 20,000 × 1 KB at a time, 2 subscribers of its topic, QoS 0',
    figures: [{ key: 'rate', label: 'deliveries/s', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '1', '-S', '2', '-t', 'bench/burst', '-T', 'bench/burst', '-q', '0', '--e2e-window', '20000', '-s', '1024'],
    mqbench: () => ['-s', 'fanout', '-S', '2', '-E', '20000', '-m', '1024'],
    fromMidge: (s) => ({ rate: s.messages.receivedPerSecond }),
    fromMqbench: (kv) => ({ rate: Number(kv.recv_rate) }),
  },
  {
    name: 'fanout',
    title: 'fan-out: 1 publisher, 100 subscribers of one topic, QoS 0',
    figures: [{ key: 'rate', label: 'deliveries/s', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '1', '-S', '100', '-t', 'bench/x', '-T', 'bench/x', '-q', '0', '--e2e-window', '500', ...PAYLOAD],
    mqbench: () => ['-s', 'fanout', '-S', '100', '-m', '64'],
    fromMidge: (s) => ({ rate: s.messages.receivedPerSecond }),
    fromMqbench: (kv) => ({ rate: Number(kv.recv_rate) }),
  },
  {
    name: 'qos1',
    title: 'QoS 1 pairs: 20 publisher→subscriber pairs, 64 unacknowledged per publisher',
    figures: [{ key: 'rate', label: 'acknowledged msgs/s', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '20', '-S', '20', '-t', 'bench/p2p/%i', '-q', '1', '--window', '64', '--e2e-window', '500', ...PAYLOAD],
    mqbench: () => ['-s', 'qos1', '-P', '20', '-W', '64', '-m', '64'],
    fromMidge: (s) => ({ rate: s.messages.ackedPerSecond }),
    fromMqbench: (kv) => ({ rate: Number(kv.ack_rate) }),
  },
  {
    // Issue 5: the qos1 load with persistent sessions (Clean Session 0) on a broker that stores
    // them, reported beside qos1, the in-memory figure. Mosquitto keeps its store in memory and
    // writes it only every autosave_interval (1,800 s by default), so its acknowledged messages
    // are not durable: its row is the cost of sessions alone, midge's that of a commit per turn.
    name: 'durable',
    title: 'durable QoS 1 pairs: as qos1, persistent sessions (Clean Session 0), SQLite store',
    figures: [{ key: 'rate', label: 'acknowledged msgs/s', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '20', '-S', '20', '-t', 'bench/durable/%i', '-q', '1', '--window', '64', '--e2e-window', '500', '--no-clean', ...PAYLOAD],
    fromMidge: (s) => ({ rate: s.messages.ackedPerSecond }),
    brokers: ['midge', 'mosquitto'],
    brokerArgs: {
      midge: (ctx) => ['--persistence', '--persistence-location', `${ctx.dir}/durable-${ctx.port}-${++durableRun}`],
      mosquitto: (ctx) => ['persistence true', `persistence_location ${ctx.dir}/`],
    },
  },
  {
    // Issue 9: fan-in across two cluster nodes sharing one redis-server: the publishers on the
    // measured node, the `#` subscriber on a second node. Compare with the fanin row.
    name: 'cluster-fanin',
    title: 'cluster fan-in: as fanin, publishers on node 1, subscriber on node 2, one Redis',
    figures: [{ key: 'rate', label: 'msgs/s received', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '50', '-S', '1', '-t', 'bench/%i', '-T', 'bench/#', '-q', '0', '--e2e-window', '64', ...PAYLOAD],
    fromMidge: (s) => ({ rate: s.messages.receivedPerSecond }),
    brokers: ['midge'],
    setup: (ctx) => startClusterPeer(ctx),
    brokerArgs: { midge: (ctx) => ['--cluster', ctx.redisUrl, '--cluster-node-id', 'bench-1'] },
  },
  // Issue 15: what `cluster_wait_replicas 1` costs (every acknowledgement waits for a Redis
  // replica, Redis WAIT), beside the same QoS 1 load across two nodes and the same replica
  // without it. Compare the two rows.
  ...[false, true].map((wait) => ({
    name: wait ? 'cluster-wait' : 'cluster-q1',
    title: `cluster QoS 1 pairs: as qos1, publishers on node 1, subscribers on node 2, Redis with a replica${wait ? ', cluster_wait_replicas 1' : ''}`,
    figures: [{ key: 'rate', label: 'acknowledged msgs/s', unit: 'msgs/s', better: 'higher' }],
    midge: () => ['pubsub', '-c', '20', '-S', '20', '-t', 'bench/p2p/%i', '-q', '1', '--window', '64', '--e2e-window', '500', ...PAYLOAD],
    fromMidge: (s) => ({ rate: s.messages.ackedPerSecond }),
    brokers: ['midge'],
    setup: (ctx) => {
      ctx.clusterArgs = wait ? ['--cluster-wait-replicas', '1'] : [];
      return startClusterPeer(ctx, { replica: true });
    },
    brokerArgs: { midge: (ctx) => ['--cluster', ctx.redisUrl, '--cluster-node-id', 'bench-1', ...ctx.clusterArgs] },
  })),
  {
    name: 'latency',
    title: 'latency: 10,000 msgs/s on a fixed schedule, 1 pair, QoS 0 (from the scheduled send time)',
    figures: [
      { key: 'p50', label: 'p50 µs', unit: 'µs', better: 'lower' },
      { key: 'p99', label: 'p99 µs', unit: 'µs', better: 'lower' },
    ],
    // One thread for both ends: it polls its sockets between sends instead of sleeping, which
    // keeps the generator's own wake-up delay out of the figure (it spins one core for it).
    midge: () => ['pubsub', '-c', '1', '-S', '1', '-t', 'bench/lat/%i', '-q', '0', '-r', '10000', ...PAYLOAD],
    workers: 1,
    mqbench: () => ['-s', 'latency', '-r', '10000', '-m', '64'],
    fromMidge: (s) => ({ p50: s.latency?.p50Us, p99: s.latency?.p99Us }),
    fromMqbench: (kv) => ({ p50: Number(kv.lat_p50_us), p99: Number(kv.lat_p99_us) }),
  },
  {
    name: 'conns',
    title: 'connections: 10,000 idle connections (keep alive 60 s), held 5 s',
    figures: [
      { key: 'rate', label: 'connects/s', unit: '/s', better: 'higher' },
      { key: 'kib', label: 'KiB per connection', unit: 'KiB', better: 'lower' },
      { key: 'cpuUs', label: 'broker CPU µs per connect', unit: 'µs', better: 'lower' },
    ],
    // Connections are held for the measured duration; warm-up does not apply.
    midge: (ctx) => ['conn', '-c', String(ctx.conns), '--max-pending', '100', '-k', '60'],
    mqbench: (ctx) => ['-s', 'conns', '-n', String(ctx.conns), '--hold', String(ctx.hold), '-k', '60'],
    fromMidge: (s) => ({ rate: s.connections.perSecond, kib: s.broker?.rssPerConnectionKiB, cpuUs: s.cpu.brokerUsPerConnect }),
    fromMqbench: (kv) => ({ rate: Number(kv.connect_rate), kib: Number(kv.rss_delta_kb) / Number(kv.connected) }),
    holds: true,
  },
  ...secureScenarios(),
  ...fleetScenarios(),
];

/** Each broker's secure listener beside its plain one (issue 19). Mosquitto is built without WebSocket support in Debian. */
function secureBrokerArgs() {
  return { midge: midgeSecureArgs, mosquitto: listenerLines };
}

/** Throughput over TLS 1.3 and 1.2 and over WebSocket; TLS handshakes and memory per TLS connection (issue 19). */
function secureScenarios() {
  const fanin = ['pubsub', '-c', '50', '-S', '1', '-t', 'bench/%i', '-T', 'bench/#', '-q', '0', '--e2e-window', '64', ...PAYLOAD];
  const qos1 = ['pubsub', '-c', '20', '-S', '20', '-t', 'bench/p2p/%i', '-q', '1', '--window', '64', '--e2e-window', '500', ...PAYLOAD];
  const rate = (label) => [{ key: 'rate', label, unit: 'msgs/s', better: 'higher' }];
  const received = (s) => ({ rate: s.messages.receivedPerSecond });
  const acked = (s) => ({ rate: s.messages.ackedPerSecond });
  const tlsConns = (ctx) => String(Math.max(20, Math.round(ctx.conns / 5)));
  const connFigures = [
    { key: 'rate', label: 'handshakes/s', unit: '/s', better: 'higher' },
    { key: 'kib', label: 'KiB per connection', unit: 'KiB', better: 'lower' },
    { key: 'cpuUs', label: 'broker CPU µs per handshake', unit: 'µs', better: 'lower' },
  ];
  const fromConn = (s) => ({ rate: s.connections.perSecond, kib: s.broker?.rssPerConnectionKiB, cpuUs: s.cpu.brokerUsPerConnect });
  const secure = (kind, rest) => ({ secure: kind, setup: (ctx) => secureListener(ctx, kind), brokerArgs: secureBrokerArgs(), ...rest });
  return [
    secure('tls', { name: 'tls-fanin', title: 'fan-in over TLS 1.3', figures: rate('msgs/s received'),
      midge: (ctx) => [...fanin, ...generatorFlags(ctx, '1.3')], fromMidge: received }),
    secure('tls', { name: 'tls-qos1', title: 'QoS 1 pairs over TLS 1.3', figures: rate('acknowledged msgs/s'),
      midge: (ctx) => [...qos1, ...generatorFlags(ctx, '1.3')], fromMidge: acked }),
    secure('tls', { name: 'tls12-qos1', title: 'QoS 1 pairs over TLS 1.2', figures: rate('acknowledged msgs/s'),
      midge: (ctx) => [...qos1, ...generatorFlags(ctx, '1.2')], fromMidge: acked }),
    secure('tls', { name: 'tls-conns', title: 'TLS 1.3 connections: full handshakes, held idle', figures: connFigures, holds: true,
      midge: (ctx) => ['conn', '-c', tlsConns(ctx), '--max-pending', '100', '-k', '60', ...generatorFlags(ctx, '1.3')], fromMidge: fromConn }),
    secure('tls-cert', { name: 'tls-conns-cert', title: 'TLS 1.3 connections with client certificates (required and verified)', figures: connFigures, holds: true,
      midge: (ctx) => ['conn', '-c', tlsConns(ctx), '--max-pending', '100', '-k', '60', ...generatorFlags(ctx, '1.3')], fromMidge: fromConn }),
    secure('ws', { name: 'ws-fanin', title: 'fan-in over WebSocket', figures: rate('msgs/s received'), brokers: ['midge', 'aedes'],
      midge: (ctx) => [...fanin, ...generatorFlags(ctx)], fromMidge: received }),
  ];
}

/**
 * A fleet of devices with persistent sessions, each sending one QoS 1 message every
 * 5 s to its own topic, four back-end subscribers on `fleet/<shard>/#`; and the reconnect storm (issue 19).
 * ctx.fleet devices (10,000 by default, fewer when the file-descriptor limit is lower).
 */
function fleetScenarios() {
  return [
    {
      name: 'fleet',
      title: 'fleet: persistent-session devices, one QoS 1 message each every 5 s, 4 subscribers on fleet/<shard>/#',
      figures: [
        { key: 'rate', label: 'acknowledged msgs/s', unit: 'msgs/s', better: 'higher' },
        { key: 'p50', label: 'p50 µs', unit: 'µs', better: 'lower' },
        { key: 'p99', label: 'p99 µs', unit: 'µs', better: 'lower' },
        { key: 'cpuPer1k', label: 'broker CPU % of a core per 1,000 msgs/s', unit: '%', better: 'lower' },
        { key: 'rssMiB', label: 'broker RSS MiB', unit: 'MiB', better: 'lower' },
      ],
      // Four back-end subscribers, each on the wildcard of its shard: device i publishes to fleet/<i mod 4>/<i>.
      midge: (ctx) => ['pubsub', '-c', String(ctx.fleet), '-S', '4', '-t', 'fleet/%k/%i', '-T', 'fleet/%i/#', '-q', '1', '--no-clean',
        '-r', String(ctx.fleet / 5), '--window', '8', '--max-pending', '200', '--drain', '15', ...PAYLOAD],
      // Two rounds of every device's message before measuring: the first round is not the steady state.
      minWarmupS: 10,
      workers: 1,
      fromMidge: (s) => ({
        rate: s.messages.ackedPerSecond,
        p50: s.latency?.p50Us,
        p99: s.latency?.p99Us,
        cpuPer1k: s.cpu.brokerPercent !== undefined && s.messages.ackedPerSecond > 0 ? s.cpu.brokerPercent / (s.messages.ackedPerSecond / 1000) : undefined,
        rssMiB: s.broker ? s.broker.rssAfterKiB / 1024 : undefined,
      }),
    },
    {
      name: 'reconnect-storm',
      title: 'reconnect storm: every fleet device drops at once, one QoS 1 command queued for each, all reconnect at once',
      figures: [
        { key: 'rate', label: 'sessions back per second', unit: '/s', better: 'higher' },
        { key: 'seconds', label: 's until every command delivered', unit: 's', better: 'lower' },
      ],
      midge: (ctx) => ['storm', '-c', String(ctx.fleet), '--max-pending', '1000'],
      workers: 1,
      holds: true,
      fromMidge: (s) => ({ rate: s.sessionsPerSecond, seconds: s.deliveredSeconds }),
    },
  ];
}
