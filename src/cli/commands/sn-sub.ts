import { Command } from 'commander';
import { topicFilterProblem, type QoS } from '../../protocol/index.js';
import { SnClient, type SnReceivedMessage } from '../../sn/client/index.js';
import { collect, parseCount, parseSeconds } from '../mqtt-tools/flag-parsers.js';
import { interrupted, runTool } from '../mqtt-tools/run-tool.js';
import { CliError, ExitCode } from '../errors.js';
import {
  addSnConnectionFlags, collectTopicIds, parseSleep, parseSubscribeQos, snClientOptions, type SnConnectionFlags,
} from '../sn-tools/sn-flags.js';

/** Flags of `midge sn-sub`. */
interface SnSubFlags extends SnConnectionFlags {
  topic?: string[];
  topicId?: number[];
  qos: QoS;
  clean: boolean;
  verbose?: boolean;
  single?: boolean;
  count?: number;
  timeout?: number;
  sleep?: number;
}

/**
 * `midge sn-sub`: subscribe at an MQTT-SN gateway and print what arrives, in the style of
 * mqtt-sn-sub from mqtt-sn-tools. With `--sleep SECONDS` the client sleeps between
 * wake-ups: the gateway buffers its messages and hands them over at each wake-up
 * [MQTT-SN-1.2 6.14].
 */
export function snSubCommand(): Command {
  const command = new Command('sn-sub')
    .description('subscribe at an MQTT-SN gateway and print the messages (in the style of mqtt-sn-sub)')
    .option('-t, --topic <topic>', 'topic name or filter to subscribe to; may be repeated', collect)
    .option('-T, --topic-id <id>', 'predefined topic id to subscribe to; may be repeated', collectTopicIds)
    .option('-q, --qos <qos>', 'QoS to subscribe with: 0, 1 or 2', parseSubscribeQos, 0 as QoS)
    .option('-c, --no-clean', 'keep the session (subscriptions and queued messages) after disconnecting')
    .option('-v, --verbose', 'print the topic before each message')
    .option('-1, --single', 'exit after one message')
    .option('-C, --count <count>', 'exit after this many messages', parseCount)
    .option('-W, --timeout <seconds>', 'exit with status 27 after this many seconds', parseSeconds)
    .option('-e, --sleep <seconds>', 'sleep between wake-ups; messages wait in the gateway meanwhile', parseSleep);
  addSnConnectionFlags(command);
  command.showHelpAfterError(false).action((flags: SnSubFlags) => runTool(false, () => subscribe(flags)));
  return command;
}

/** How a message is printed: the payload, after the topic with -v. */
function format(m: SnReceivedMessage, verbose: boolean | undefined): string {
  const payload = m.payload.toString('utf8');
  if (!verbose) return `${payload}\n`;
  const topic = m.topicName ?? `${m.topic.topicIdType} topic id ${'topicId' in m.topic ? m.topic.topicId : ''}`;
  return `${topic}: ${payload}\n`;
}

async function subscribe(flags: SnSubFlags): Promise<number> {
  const topics = flags.topic ?? [];
  const ids = flags.topicId ?? [];
  if (topics.length + ids.length === 0) throw new CliError('You must give a topic (-t) or a predefined topic id (-T) to subscribe to.');
  for (const t of topics) {
    if (topicFilterProblem(t)) throw new CliError(`Invalid subscription topic '${t}', are all '+' and '#' wildcards correct?`);
  }
  const limit = flags.single ? 1 : flags.count;
  const client = await SnClient.open(snClientOptions(flags, flags.clean));
  const stop = interrupted();
  let timer: NodeJS.Timeout | undefined;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => { finish = resolve; });
  let received = 0;
  client.onMessage((m) => {
    if (limit !== undefined && received >= limit) return;
    process.stdout.write(format(m, flags.verbose));
    if (limit !== undefined && ++received >= limit) finish(0);
  });
  client.onDisconnect(() => finish(-1));
  void stop.promise.then(() => finish(0));
  if (flags.timeout) timer = setTimeout(() => finish(ExitCode.TimedOut), flags.timeout * 1000);
  try {
    await client.connect();
    for (const t of topics) await client.subscribe(t, flags.qos);
    for (const id of ids) await client.subscribe({ predefinedId: id }, flags.qos);
    const outcome = flags.sleep === undefined ? await finished : await sleepLoop(client, flags.sleep, finished);
    if (outcome === -1) throw new CliError('the gateway ended the connection.');
    // Whatever ends the run (-C, -W, Ctrl-C), say goodbye: a client that vanishes is lost
    // to the gateway only when its keep alive runs out, and then its will is published.
    await disconnectWithin(client, flags.tretry);
    if (outcome === ExitCode.TimedOut) throw new CliError('Timed out', ExitCode.TimedOut);
    return outcome;
  } finally {
    clearTimeout(timer);
    stop.dispose();
    await client.close();
  }
}

/** DISCONNECT, waiting for the gateway's answer at most one retry interval (it may be gone). */
async function disconnectWithin(client: SnClient, seconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, seconds * 1000); });
  await Promise.race([client.disconnect().catch(() => undefined), bound]);
  clearTimeout(timer);
}

/**
 * Sleeps, wakes up every `seconds` to collect what the gateway buffered, and sleeps
 * again, until `finished` settles [MQTT-SN-1.2 6.14].
 */
async function sleepLoop(client: SnClient, seconds: number, finished: Promise<number>): Promise<number> {
  let outcome: number | undefined;
  void finished.then((code) => { outcome = code; });
  while (outcome === undefined) {
    await client.sleep(seconds);
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((r) => { wait = setTimeout(r, seconds * 1000); })]);
    clearTimeout(wait);
    if (outcome !== undefined) break;
    await client.wake();
  }
  return outcome;
}
