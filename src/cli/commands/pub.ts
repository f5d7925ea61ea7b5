import { Command } from 'commander';
import { topicNameProblem } from '../../protocol/index.js';
import type { MqttClient, PublishOptions } from '../../client/index.js';
import { addConnectionFlags, connectionSetup, type ConnectionFlags } from '../mqtt-tools/connection-flags.js';
import { parseCount, parseDelaySeconds } from '../mqtt-tools/flag-parsers.js';
import { addMessageFlags, messageSource, readLines, type MessageFlags } from '../mqtt-tools/message-flags.js';
import { createClient, runTool } from '../mqtt-tools/run-tool.js';
import { CliError } from '../errors.js';

/** Flags of `midge pub`. */
interface PubFlags extends ConnectionFlags, MessageFlags {
  topic?: string;
  retain?: boolean;
  repeat?: number;
  repeatDelay?: number;
  maxInflight?: number;
}

/** `midge pub`: publish one message (or one per line of stdin) and exit, like mosquitto_pub. */
export function pubCommand(): Command {
  const command = new Command('pub')
    .description('publish a message and exit (the flags and exit codes of mosquitto_pub)')
    .option('-t, --topic <topic>', 'topic to publish to')
    .option('-r, --retain', 'retain the message')
    .option('--repeat <count>', 'with -m, -f or -s: publish the message this many times', parseCount)
    .option('--repeat-delay <seconds>', 'with --repeat: seconds between publishes', parseDelaySeconds)
    .option('-M, --max-inflight <count>', 'with -l: most QoS 1/2 messages waiting for acknowledgement (default 20)', parseCount);
  addMessageFlags(command, true);
  addConnectionFlags(command);
  command.showHelpAfterError(false).action((flags: PubFlags) => runTool(flags.quiet, () => publish(flags)));
  return command;
}

async function publish(flags: PubFlags): Promise<number> {
  const setup = connectionSetup(flags, 'pub');
  const topic = flags.topic ?? setup.urlTopic;
  if (flags.url && !topic) throw new CliError('Invalid URL for -L argument specified - topic missing.');
  const source = await messageSource(flags);
  if (topic === undefined || !source) throw new CliError('Both topic and message must be supplied.');
  if (topicNameProblem(topic)) throw new CliError(`Invalid publish topic '${topic}', does it contain '+' or '#'?`);
  const options: PublishOptions = { qos: flags.qos, retain: flags.retain ?? false };
  if (setup.properties.publish) options.properties = setup.properties.publish;
  // A line-by-line publisher runs as long as its input: it rides out broker restarts.
  const client = createClient(setup, flags.debug, source.kind === 'lines' ? { reconnect: { initialDelayMs: 500 } } : {});
  await client.connect();
  try {
    if (source.kind === 'lines') await publishLines(client, topic, options, flags.maxInflight ?? 20);
    else await publishRepeated(client, topic, source.payload, options, flags.repeat ?? 1, flags.repeatDelay ?? 0);
  } finally {
    await client.end(setup.properties.disconnect ? { properties: setup.properties.disconnect } : {});
  }
  return 0;
}

async function publishRepeated(client: MqttClient, topic: string, payload: Buffer, options: PublishOptions, times: number, delaySeconds: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (i > 0 && delaySeconds > 0) await new Promise((r) => setTimeout(r, delaySeconds * 1000));
    await client.publish(topic, payload, options);
  }
}

/** `-l`: one message per line, at most `window` unacknowledged at a time, all acknowledged before exit. */
async function publishLines(client: MqttClient, topic: string, options: PublishOptions, window: number): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  let failure: unknown;
  for await (const line of readLines(process.stdin)) {
    if (failure) break;
    const sent: Promise<unknown> = client.publish(topic, line, options).then(
      () => inFlight.delete(sent),
      (e: unknown) => {
        failure ??= e;
        inFlight.delete(sent);
      },
    );
    inFlight.add(sent);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
}
