import { Command } from 'commander';
import { isFailureCode, reasonCodeName, topicFilterProblem, topicMatches } from '../../protocol/index.js';
import { ReasonCodeError, type MqttClient, type MqttMessage } from '../../client/index.js';
import { CliError, ExitCode, printError, printWarning } from '../errors.js';
import { addConnectionFlags, connectionSetup, type ConnectionFlags, type ConnectionSetup } from '../mqtt-tools/connection-flags.js';
import { collect, parseCount, parseSeconds } from '../mqtt-tools/flag-parsers.js';
import { formatMessage, type OutputOptions } from '../mqtt-tools/output-format.js';
import { createClient, interrupted, runTool } from '../mqtt-tools/run-tool.js';
import { instantNow } from '../mqtt-tools/time-format.js';

/** Flags of `midge sub`. */
interface SubFlags extends ConnectionFlags {
  topic?: string[];
  filterOut?: string[];
  unsubscribe?: string[];
  verbose?: boolean;
  eol: boolean;
  count?: number;
  timeout?: number;
  retained?: boolean;
  exitAfterSubscribe?: boolean;
  format?: string;
  pretty?: boolean;
  removeRetained?: boolean;
  retainedOnly?: boolean;
  retainAsPublished?: boolean;
}

/** `midge sub`: subscribe and print messages, like mosquitto_sub. */
export function subCommand(): Command {
  const command = new Command('sub')
    .description('subscribe to topics and print the messages (the flags and exit codes of mosquitto_sub)')
    .option('-t, --topic <filter>', 'topic filter to subscribe to; may be repeated', collect)
    .option('-T, --filter-out <filter>', 'do not print messages whose topic matches; may be repeated', collect)
    .option('-U, --unsubscribe <filter>', 'unsubscribe from a filter; may be repeated', collect)
    .option('-v, --verbose', 'print the topic before the payload')
    .option('-N, --no-eol', 'do not print an end of line after each message')
    .option('-C, --count <count>', 'exit after this many messages', parseCount)
    .option('-W, --timeout <seconds>', 'exit with status 27 after this many seconds', parseSeconds)
    .option('-R, --no-retained', 'do not print stale (retained) messages')
    .option('-E, --exit-after-subscribe', 'exit once the subscriptions are acknowledged')
    .option('-F, --format <format>', 'output format (%t topic, %p payload, %j JSON, ... as mosquitto_sub)')
    .option('--pretty', 'indent JSON output')
    .option('--remove-retained', 'clear every retained message received (except those filtered out with -T)')
    .option('--retained-only', 'print retained messages only; exit at the first one that is not')
    .option('--retain-as-published', 'v5: keep the retain flag as the publisher set it');
  addConnectionFlags(command);
  command.showHelpAfterError(false).action((flags: SubFlags) => runTool(flags.quiet, () => subscribe(flags)));
  return command;
}

async function subscribe(flags: SubFlags): Promise<number> {
  const setup = connectionSetup(flags, 'sub');
  const topics = [...(flags.topic ?? []), ...(setup.urlTopic ? [setup.urlTopic] : [])];
  if (topics.length === 0 && !flags.unsubscribe?.length) throw new CliError('You must specify a topic to subscribe to.');
  for (const t of topics) {
    if (topicFilterProblem(t)) throw new CliError(`Invalid subscription topic '${t}', are all '+' and '#' wildcards correct?`);
  }
  for (const t of flags.filterOut ?? []) {
    if (topicFilterProblem(t)) throw new CliError(`Invalid filter topic '${t}', are all '+' and '#' wildcards correct?`);
  }
  const client = createClient(setup, flags.debug, { reconnect: { initialDelayMs: 1000 } });
  const messages = client.messages();
  await client.connect();
  const stop = interrupted();
  let timer: NodeJS.Timeout | undefined;
  try {
    await subscribeAll(client, flags, topics, setup);
    if (flags.unsubscribe?.length) {
      await client.unsubscribe(flags.unsubscribe, setup.properties.unsubscribe ? { properties: setup.properties.unsubscribe } : {});
    }
    if (flags.exitAfterSubscribe) return 0;
    const timedOut = new Promise<number>((resolve) => {
      if (flags.timeout) timer = setTimeout(() => resolve(ExitCode.TimedOut), flags.timeout * 1000);
    });
    const outcome = await Promise.race([printMessages(client, messages, flags), timedOut, stop.promise.then(() => 0)]);
    if (outcome === ExitCode.TimedOut) throw new CliError('Timed out', ExitCode.TimedOut);
    return outcome;
  } finally {
    clearTimeout(timer);
    stop.dispose();
    await client.end(setup.properties.disconnect ? { properties: setup.properties.disconnect } : {});
  }
}

/**
 * SUBSCRIBE and its refusals, as mosquitto_sub words them: every filter refused ends the
 * tool with `All subscription requests were denied.`; one refused among others is a
 * warning. MQTT 3.1.1 has a single failure code (0x80) [MQTT-3.9.3-2], so the reason is
 * named only for v5.
 */
async function subscribeAll(client: MqttClient, flags: SubFlags, topics: string[], setup: ConnectionSetup): Promise<void> {
  if (topics.length === 0) return;
  const reason = (code: number): string => (setup.version === 5 ? ` (${reasonCodeName(code)})` : '');
  let codes: number[];
  try {
    codes = await client.subscribe(topics, {
      qos: flags.qos,
      ...(flags.retainAsPublished ? { retainAsPublished: true } : {}),
      ...(setup.properties.subscribe ? { properties: setup.properties.subscribe } : {}),
    });
  } catch (e) {
    if (e instanceof ReasonCodeError && e.packetName === 'SUBACK') throw new CliError(`All subscription requests were denied.${reason(e.reasonCode)}`);
    throw e;
  }
  codes.forEach((code, i) => {
    if (isFailureCode(code) && !flags.quiet) printWarning(`subscription to '${topics[i]}' was denied.${reason(code)}`);
  });
}

/**
 * Prints messages as mosquitto_sub does, in its order of checks: `--retained-only`
 * stops at the first fresh message, `-R` skips retained ones, `-T` filters,
 * `--remove-retained` clears, then print and count (`-C`).
 */
async function printMessages(client: MqttClient, messages: AsyncIterableIterator<MqttMessage>, flags: SubFlags): Promise<number> {
  const output: OutputOptions = { verbose: !!flags.verbose, eol: flags.eol, pretty: !!flags.pretty };
  if (flags.format !== undefined) output.format = flags.format;
  const removals: Promise<unknown>[] = [];
  let printed = 0;
  try {
    for await (const message of messages) {
      if (flags.retainedOnly && !message.retain) break;
      if (message.retain && flags.retained === false) continue;
      if (flags.filterOut?.some((f) => topicMatches(f, message.topic))) continue;
      if (flags.removeRetained && message.retain) removals.push(client.publish(message.topic, '', { qos: 1, retain: true }));
      print(message, output, flags.quiet);
      printed++;
      if (flags.count !== undefined && printed >= flags.count) break;
    }
  } finally {
    await messages.return?.();
    await Promise.allSettled(removals);
  }
  return 0;
}

function print(message: MqttMessage, output: OutputOptions, quiet: boolean | undefined): void {
  const printed = formatMessage(message, output, instantNow());
  if (printed.bytes.length > 0) process.stdout.write(printed.bytes);
  if (printed.error && !quiet) printError(printed.error);
}
