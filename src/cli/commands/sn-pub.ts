import { Command } from 'commander';
import { topicNameProblem } from '../../protocol/index.js';
import { SnClient, type SnTopicSpec } from '../../sn/client/index.js';
import { isSnShortTopicName, type SnQoS } from '../../sn/protocol/index.js';
import { addMessageFlags, messageSource, readLines, type MessageFlags } from '../mqtt-tools/message-flags.js';
import { runTool } from '../mqtt-tools/run-tool.js';
import { CliError } from '../errors.js';
import {
  addSnConnectionFlags, parseSleep, parseSnQos, parseTopicId, snClientOptions, type SnConnectionFlags,
} from '../sn-tools/sn-flags.js';

/** Flags of `midge sn-pub`. */
interface SnPubFlags extends SnConnectionFlags, MessageFlags {
  topic?: string;
  topicId?: number;
  qos: SnQoS;
  retain?: boolean;
  sleep?: number;
}

/**
 * `midge sn-pub`: publish to an MQTT-SN gateway, in the style of mqtt-sn-pub from
 * mqtt-sn-tools. A topic name is REGISTERed (two characters go as a short topic name),
 * `-T` names a predefined topic id; `-q -1` publishes without connecting [MQTT-SN-1.2 6.8].
 */
export function snPubCommand(): Command {
  const command = new Command('sn-pub')
    .description('publish a message to an MQTT-SN gateway and exit (in the style of mqtt-sn-pub)')
    .option('-t, --topic <topic>', 'topic name to publish to (two characters: a short topic name)')
    .option('-T, --topic-id <id>', 'predefined topic id to publish to', parseTopicId)
    .option('-q, --qos <qos>', 'QoS: -1 (no connection), 0, 1 or 2', parseSnQos, 0 as SnQoS)
    .option('-r, --retain', 'retain the message')
    .option('-e, --sleep <seconds>', 'sleep this many seconds when disconnecting (DISCONNECT with a duration)', parseSleep);
  addMessageFlags(command, true);
  addSnConnectionFlags(command);
  command.showHelpAfterError(false).action((flags: SnPubFlags) => runTool(false, () => publish(flags)));
  return command;
}

/** The topic of the flags: exactly one of -t and -T. */
function topicOf(flags: SnPubFlags): SnTopicSpec {
  if ((flags.topic === undefined) === (flags.topicId === undefined)) throw new CliError('Give a topic name (-t) or a predefined topic id (-T), not both.');
  if (flags.topicId !== undefined) return { predefinedId: flags.topicId };
  const topic = flags.topic!;
  if (topicNameProblem(topic)) throw new CliError(`Invalid publish topic '${topic}', does it contain '+' or '#'?`);
  if (flags.qos === -1 && !isSnShortTopicName(topic)) {
    throw new CliError('QoS -1 needs a predefined topic id (-T) or a two-character short topic name [MQTT-SN-1.2 6.8].');
  }
  return topic;
}

async function publish(flags: SnPubFlags): Promise<number> {
  const topic = topicOf(flags);
  const source = await messageSource(flags);
  if (!source) throw new CliError('A message must be supplied (-m, -f, -s, -l or -n).');
  const options = snClientOptions(flags, true);
  if (flags.qos === -1) {
    if (source.kind === 'lines') {
      for await (const line of readLines(process.stdin)) await SnClient.publishQosMinusOne(options, topic, line, flags.retain);
    } else {
      await SnClient.publishQosMinusOne(options, topic, source.payload, flags.retain);
    }
    return 0;
  }
  const client = await SnClient.open(options);
  try {
    await client.connect();
    if (source.kind === 'lines') {
      for await (const line of readLines(process.stdin)) await client.publish(topic, line, flags.qos, flags.retain);
    } else {
      await client.publish(topic, source.payload, flags.qos, flags.retain);
    }
    if (flags.sleep !== undefined) await client.sleep(flags.sleep);
    else await client.disconnect();
  } finally {
    await client.close();
  }
  return 0;
}
