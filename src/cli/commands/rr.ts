import { Command } from 'commander';
import { topicNameProblem } from '../../protocol/index.js';
import type { MqttMessage, PublishOptions } from '../../client/index.js';
import { addConnectionFlags, connectionSetup, type ConnectionFlags } from '../mqtt-tools/connection-flags.js';
import { parseSeconds } from '../mqtt-tools/flag-parsers.js';
import { addMessageFlags, messageSource, type MessageFlags } from '../mqtt-tools/message-flags.js';
import { formatMessage, type OutputOptions } from '../mqtt-tools/output-format.js';
import { createClient, interrupted, runTool } from '../mqtt-tools/run-tool.js';
import { instantNow } from '../mqtt-tools/time-format.js';
import { CliError, ExitCode, printError } from '../errors.js';

/** Flags of `midge rr`. */
interface RrFlags extends ConnectionFlags, MessageFlags {
  topic?: string;
  responseTopic?: string;
  retain?: boolean;
  verbose?: boolean;
  eol: boolean;
  timeout?: number;
  retained?: boolean;
  format?: string;
  pretty?: boolean;
}

/**
 * `midge rr`: publish a request and print the first response, like mosquitto_rr.
 * It subscribes to the response topic, then publishes the request carrying it as
 * the v5 Response Topic property (MQTT 5.0 section 4.10).
 */
export function rrCommand(): Command {
  const command = new Command('rr')
    .description('publish a request and wait for the response (the flags and exit codes of mosquitto_rr)')
    .option('-t, --topic <topic>', 'topic to send the request to')
    .option('-e, --response-topic <topic>', 'topic to wait for the response on')
    .option('-r, --retain', 'retain the request')
    .option('-v, --verbose', 'print the topic before the payload')
    .option('-N, --no-eol', 'do not print an end of line after the response')
    .option('-W, --timeout <seconds>', 'exit with status 27 if no response comes within this many seconds', parseSeconds)
    .option('-R, --no-retained', 'ignore stale (retained) messages on the response topic')
    .option('-F, --format <format>', 'output format (as midge sub -F)')
    .option('--pretty', 'indent JSON output');
  addMessageFlags(command, false);
  addConnectionFlags(command);
  command.showHelpAfterError(false).action((flags: RrFlags) => runTool(flags.quiet, () => requestResponse(flags)));
  return command;
}

async function requestResponse(flags: RrFlags): Promise<number> {
  const setup = connectionSetup(flags, 'rr');
  const topic = flags.topic ?? setup.urlTopic;
  const source = await messageSource(flags);
  const responseTopic = flags.responseTopic;
  if (topic === undefined || !source || source.kind !== 'single' || responseTopic === undefined) {
    throw new CliError('All of topic, message, and response topic must be supplied.');
  }
  if (topicNameProblem(topic)) throw new CliError(`Invalid publish topic '${topic}', does it contain '+' or '#'?`);
  // The Response Topic property is a topic name: no wildcards [MQTT-3.3.2-14].
  if (topicNameProblem(responseTopic)) throw new CliError(`Invalid response topic '${responseTopic}', does it contain '+' or '#'?`);
  const client = createClient(setup, flags.debug);
  const responses = client.messages(responseTopic);
  await client.connect();
  const stop = interrupted();
  let timer: NodeJS.Timeout | undefined;
  try {
    await client.subscribe(responseTopic, { qos: flags.qos, ...(setup.properties.subscribe ? { properties: setup.properties.subscribe } : {}) });
    const options: PublishOptions = { qos: flags.qos, retain: flags.retain ?? false, properties: { ...setup.properties.publish, responseTopic } };
    await client.publish(topic, source.payload, options);
    const timedOut = new Promise<number>((resolve) => {
      if (flags.timeout) timer = setTimeout(() => resolve(ExitCode.TimedOut), flags.timeout * 1000);
    });
    const outcome = await Promise.race([printResponse(responses, flags), timedOut, stop.promise.then(() => 0)]);
    if (outcome === ExitCode.TimedOut) throw new CliError('Timed out', ExitCode.TimedOut);
    return outcome;
  } finally {
    clearTimeout(timer);
    stop.dispose();
    await client.end(setup.properties.disconnect ? { properties: setup.properties.disconnect } : {});
  }
}

async function printResponse(responses: AsyncIterableIterator<MqttMessage>, flags: RrFlags): Promise<number> {
  const output: OutputOptions = { verbose: !!flags.verbose, eol: flags.eol, pretty: !!flags.pretty };
  if (flags.format !== undefined) output.format = flags.format;
  try {
    for await (const message of responses) {
      if (message.retain && flags.retained === false) continue;
      const printed = formatMessage(message, output, instantNow());
      if (printed.bytes.length > 0) process.stdout.write(printed.bytes);
      if (printed.error && !flags.quiet) printError(printed.error);
      return 0;
    }
  } finally {
    await responses.return?.();
  }
  return 0;
}
