/**
 * `midge bench`: load an MQTT broker and measure it, in the spirit of `mqttx bench`.
 *
 * ```
 * midge bench pub    [-h host] [-p port] [-c publishers] [-t topic/%i] [-q 0|1|2] [-s bytes] [-I ms | -r msgs/s] [-d s | -L n]
 * midge bench sub    [-h host] [-p port] [-c subscribers] [-t filter] [-q 0|1|2] [-d s | -L n]
 * midge bench conn   [-h host] [-p port] [-c connections] [-i ms] [-d s]
 * midge bench pubsub [-c publishers] [-S subscribers] [-t topic/%i] [-T filter] ... (closed loop, as `npm run bench` uses it)
 * ```
 *
 * `-h` is the host, as in the mosquitto tools: help is `--help`. Progress goes to
 * stderr, once a second; the summary goes to stdout (`--json` for a machine).
 * The exit status is 1 when the run failed its checks (see `BenchSummary.ok`).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  Progress, defaultOptions, optionProblems, formatStorm, formatSummary, runBench, runStorm, type BenchMode, type BenchOptions, type BenchSummary,
} from '../../bench/index.js';
import { PROTOCOL_VERSION_HELP, parseProtocolVersion } from '../mqtt-tools/flag-parsers.js';

function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function decimal(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of at least 0');
  return n;
}

function qos(value: string): 0 | 1 | 2 {
  if (value === '0' || value === '1' || value === '2') return Number(value) as 0 | 1 | 2;
  throw new InvalidArgumentError('expected 0, 1 or 2');
}

/** The flags commander hands over; each is present when it has a default or was given. */
interface BenchFlags {
  host: string;
  port: number;
  subHost?: string;
  subPort?: number;
  protocolVersion: 3 | 4 | 5;
  idPrefix?: string;
  username?: string;
  password?: string;
  keepalive: number;
  clean: boolean;
  connectInterval: number;
  maxPending: number;
  connectTimeout: number;
  count: number;
  subscribers?: number;
  topic?: string;
  subTopic?: string;
  qos?: 0 | 1 | 2;
  size?: number;
  retain?: boolean;
  interval?: number;
  rate?: number;
  window?: number;
  e2eWindow?: number;
  limit?: number;
  duration: number;
  warmup: number;
  drain?: number;
  workers: number;
  json?: boolean;
  quiet?: boolean;
  brokerPid?: number;
  tls?: boolean;
  ws?: boolean;
  cafile?: string;
  cert?: string;
  key?: string;
  tlsVersion?: 'TLSv1.2' | 'TLSv1.3';
}

function tlsVersion(value: string): 'TLSv1.2' | 'TLSv1.3' {
  if (value === '1.2' || value === 'tlsv1.2' || value === 'TLSv1.2') return 'TLSv1.2';
  if (value === '1.3' || value === 'tlsv1.3' || value === 'TLSv1.3') return 'TLSv1.3';
  throw new InvalidArgumentError('expected 1.2 or 1.3');
}

function commonOptions(cmd: Command, d: BenchOptions, countHelp: string): Command {
  return cmd
    .helpOption('--help', 'show this help')
    .option('-h, --host <host>', 'broker host', d.host)
    .option('-p, --port <port>', 'broker port', integer(1, 65535), d.port)
    .option('-c, --count <n>', countHelp, integer(1, 200_000), d.clients)
    .option('-V, --protocol-version <version>', PROTOCOL_VERSION_HELP, parseProtocolVersion, d.protocolVersion)
    .option('--id-prefix <prefix>', 'client id prefix; %i is replaced by the client index, else the index is appended')
    .option('-u, --username <name>', 'user name')
    .option('-P, --password <password>', 'password')
    .option('-k, --keepalive <s>', 'keep alive in seconds', integer(0, 65535), d.keepAlive)
    .option('--no-clean', 'connect with Clean Session / Clean Start 0')
    .option('-i, --connect-interval <ms>', 'milliseconds between two connection attempts (0: as fast as --max-pending allows)', decimal, d.connectIntervalMs)
    .option('--max-pending <n>', 'handshakes in flight at once', integer(1, 100_000), d.maxPendingConnects)
    .option('--connect-timeout <ms>', 'give up on a handshake after this long', integer(1), d.connectTimeoutMs)
    .option('-d, --duration <s>', 'seconds to measure (conn: to hold the connections); 0 runs until Ctrl-C', decimal, d.durationS)
    .option('--warmup <s>', 'seconds of load before measuring', decimal, d.warmupS)
    .option('-w, --workers <n>', 'worker threads generating the load (default: one per core)', integer(1, 256), d.workers)
    .option('--tls', 'connect over TLS (mqtts)')
    .option('--ws', 'connect over WebSocket (path /mqtt, subprotocol mqtt)')
    .option('--cafile <file>', 'TLS: CA certificate that signed the broker\'s (without it the broker is not verified)')
    .option('--cert <file>', 'TLS: client certificate')
    .option('--key <file>', 'TLS: private key of the client certificate')
    .option('--tls-version <version>', 'TLS: use only this version, 1.2 or 1.3', tlsVersion)
    .option('--broker-pid <pid>', "the broker's pid, to report its CPU use and memory from /proc", integer(1))
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no live progress');
}

function publishOptions(cmd: Command, d: BenchOptions): Command {
  return cmd
    .option('-t, --topic <topic>', 'topic of publisher i; %i is replaced by i, %k by i modulo the number of subscribers (pubsub)', d.topic)
    .option('-q, --qos <qos>', 'QoS of messages and subscriptions', qos, d.qos)
    .option('-s, --size <bytes>', 'payload size; from 32 bytes on, payloads carry a send time and sequence number', integer(0, 64 * 1024 * 1024), d.payloadSize)
    .option('-I, --interval <ms>', 'milliseconds between two messages of one publisher (0: as fast as the windows allow)', decimal, d.intervalMs)
    .option('-r, --rate <msgs/s>', 'total messages per second over all publishers, on a fixed schedule (overrides -I)', decimal)
    .option('-L, --limit <n>', 'total messages to publish, then stop', integer(0))
    .option('--window <n>', 'QoS 1/2: unacknowledged messages per publisher', integer(1, 65535), d.window)
    .option('--retain', 'publish with the RETAIN flag')
    .option('--drain <s>', 'after publishing stops, seconds to wait for messages in flight', decimal, d.drainS);
}

function toOptions(mode: BenchMode, f: BenchFlags): BenchOptions {
  const d = defaultOptions(mode);
  return {
    ...d,
    host: f.host, port: f.port,
    transport: f.tls ? 'tls' : f.ws ? 'ws' : 'tcp',
    tls: { caFile: f.cafile, certFile: f.cert, keyFile: f.key, version: f.tlsVersion },
    subscriberHost: f.subHost, subscriberPort: f.subPort, protocolVersion: f.protocolVersion,
    clientIdPrefix: f.idPrefix ?? d.clientIdPrefix,
    username: f.username, password: f.password, keepAlive: f.keepalive, clean: f.clean,
    connectIntervalMs: f.connectInterval, maxPendingConnects: f.maxPending, connectTimeoutMs: f.connectTimeout,
    clients: f.count,
    subscribers: f.subscribers ?? d.subscribers,
    topic: mode === 'sub' ? d.topic : (f.topic ?? d.topic),
    filter: mode === 'sub' ? (f.topic ?? d.filter) : (f.subTopic ?? f.topic ?? d.filter),
    qos: f.qos ?? d.qos,
    payloadSize: f.size ?? d.payloadSize,
    retain: f.retain ?? false,
    intervalMs: f.interval ?? d.intervalMs,
    rate: f.rate ?? 0,
    window: f.window ?? d.window,
    e2eWindow: f.e2eWindow ?? d.e2eWindow,
    limit: f.limit ?? 0,
    durationS: f.duration, warmupS: f.warmup, drainS: f.drain ?? d.drainS,
    workers: f.workers, json: f.json ?? false,
    progress: f.quiet ? 'none' : 'auto',
    brokerPid: f.brokerPid,
  };
}

/** Runs one benchmark with Ctrl-C handling and prints its summary. */
async function execute(mode: BenchMode, flags: BenchFlags): Promise<BenchSummary> {
  const options = toOptions(mode, flags);
  const style = options.progress === 'none' ? 'none' : process.stderr.isTTY ? 'tty' : 'lines';
  const progress = new Progress(style);
  const interrupt = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    // The first Ctrl-C ends the run with a summary; the second gives up at once.
    if (++interrupts > 1) process.exit(130);
    progress.note('interrupted: closing the connections (Ctrl-C again to quit at once)');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  try {
    const summary = await runBench(options, progress, interrupt.signal);
    process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    process.exitCode = summary.ok ? 0 : 1;
    return summary;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function subcommand(mode: BenchMode, description: string, countHelp: string, extra: (c: Command, d: BenchOptions) => Command): Command {
  const d = defaultOptions(mode);
  const cmd = commonOptions(new Command(mode).description(description), d, countHelp);
  extra(cmd, d).action(async (_args: unknown, command: Command) => {
    await execute(mode, command.opts<BenchFlags>());
  });
  return cmd;
}

/**
 * `midge bench storm`: the reconnect storm, run in this thread (it measures the
 * broker's connect path, not a message rate).
 */
function stormCommand(): Command {
  const d = { ...defaultOptions('conn'), maxPendingConnects: 1000, clients: 1000 };
  const cmd = commonOptions(new Command('storm')
    .description('a fleet with persistent sessions drops at once, commands are queued, all reconnect at once: time until every session is back and every command delivered'), d,
  'number of devices')
    .option('-t, --topic <topic>', 'command topic of device i; %i is replaced by i', 'fleet/%i/cmd')
    .option('-s, --size <bytes>', 'command payload size', integer(0, 1024 * 1024), 16);
  cmd.action(async (_args: unknown, command: Command) => {
    const flags = command.opts<BenchFlags>();
    const options = { ...toOptions('conn', flags), topic: flags.topic ?? 'fleet/%i/cmd', payloadSize: flags.size ?? 16 };
    const problems = optionProblems(options);
    if (problems.length > 0) throw new InvalidArgumentError(problems.join('; '));
    const log = options.progress === 'none' ? () => {} : (line: string) => process.stderr.write(`storm: ${line}\n`);
    const summary = await runStorm(options, log);
    process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatStorm(summary));
    process.exitCode = summary.ok ? 0 : 1;
  });
  return cmd;
}

/** The `bench` command and its subcommands `pub`, `sub`, `conn`, `pubsub` and `storm`. */
export function benchCommand(): Command {
  const bench = new Command('bench')
    .description('load an MQTT broker and measure throughput, latency and connections')
    .helpOption('--help', 'show this help');
  bench.addCommand(subcommand('pub', 'publish from many clients and measure the send rate', 'number of publishers', publishOptions));
  bench.addCommand(subcommand('sub', 'subscribe with many clients and measure what arrives (rate, latency, order)', 'number of subscribers',
    (c, d) => c
      .option('-t, --topic <filter>', 'topic filter of subscriber i; %i is replaced by i', d.filter)
      .option('-q, --qos <qos>', 'subscription QoS', qos, d.qos)
      .option('-L, --limit <n>', 'stop after receiving this many messages', integer(0))));
  bench.addCommand(subcommand('conn', 'open many idle connections and measure connects/s (and broker memory with --broker-pid)',
    'number of connections', (c) => c));
  bench.addCommand(subcommand('pubsub', 'publishers and subscribers in one closed loop: end-to-end rate, latency and loss',
    'number of publishers', (c, d) => publishOptions(c, d)
      .addOption(new Option('-S, --subscribers <n>', 'number of subscribers').argParser(integer(1, 100_000)).default(d.subscribers))
      .option('-T, --sub-topic <filter>', 'topic filter of subscriber i; %i is replaced by i (default: the topic pattern)')
      .option('--sub-host <host>', 'host the subscribers connect to (default: -h)')
      .option('--sub-port <port>', 'port the subscribers connect to (default: -p), e.g. another node of a cluster', integer(1, 65535))
      .option('--e2e-window <n>', 'messages a publisher may have in flight to its slowest subscriber (0: no limit)', integer(0, 1_000_000), d.e2eWindow)));
  bench.addCommand(stormCommand());
  return bench;
}
