import { Command, Option } from 'commander';
import type { OverrideValue } from '../../config/index.js';
import type { LogFormat, LogLevelName } from '../../logging/index.js';
import { runBroker } from '../broker-runner.js';

/**
 * Flags that override a configuration key, applied after the file and the
 * environment. Add a row here for a new flag rather than special-casing it.
 */
const settingFlags: ReadonlyArray<{ flag: string; key: string; parse: (v: string | boolean) => OverrideValue }> = [
  { flag: 'persistence', key: 'persistence', parse: (v) => v === true },
  { flag: 'persistenceLocation', key: 'persistence_location', parse: String },
  { flag: 'persistenceSync', key: 'persistence_sync', parse: String },
  { flag: 'maxQueuedMessages', key: 'max_queued_messages', parse: (v) => parseCount(String(v)) },
  { flag: 'cluster', key: 'cluster_redis_url', parse: String },
  { flag: 'clusterNodeId', key: 'cluster_node_id', parse: String },
  { flag: 'clusterWaitReplicas', key: 'cluster_wait_replicas', parse: (v) => parseCount(String(v)) },
];

/** `midge broker`: runs the broker in the foreground. */
export function brokerCommand(): Command {
  const command = new Command('broker')
    .description('run the MQTT broker in the foreground (default: 127.0.0.1:1883, local clients only)')
    .option('-c, --config <file>', 'configuration file (mosquitto.conf syntax, or YAML when it ends in .yaml/.yml)')
    .option('--host <address>', 'address of the default listener')
    .option('-p, --port <port>', 'port of the default listener')
    .addOption(new Option('--log-level <level>', 'log level (default: the configuration\'s, else info)').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']))
    .addOption(new Option('--log-format <format>', 'text (one line per event) or json (default: text on a terminal, json elsewhere; log_format)').choices(['text', 'json']))
    .option('--test-config', 'check the configuration and load every file it names, print it resolved (secrets redacted) and exit; non-zero on any error')
    .option('--persistence', 'store sessions, queues, retained messages and wills on disk (the default; overrides an earlier --no-persistence)')
    .option('--no-persistence', 'keep sessions, queues, retained messages and wills in memory only')
    .option('--persistence-location <dir>', 'directory of the store (default ./data)')
    .addOption(new Option('--persistence-sync <mode>', 'normal: survive a crash of the process; full: survive power loss too').choices(['normal', 'full']))
    .option('--max-queued-messages <count>', 'messages queued per client beyond its inflight window (default 100000)')
    .option('--mqttsn-port <port>', 'also run an MQTT-SN gateway on this UDP port (address: --host, default 127.0.0.1)')
    .option('--cluster <url>', 'join a cluster of midge nodes on this Redis (redis://HOST:PORT, or redis+sentinel://HOST:PORT,.../NAME); sessions and retained messages live there')
    .option('--cluster-node-id <id>', 'this node\'s name in the cluster (default: hostname-pid)')
    .option('--cluster-wait-replicas <count>', 'acknowledge only what that many Redis replicas have (Redis WAIT; default 0)');
  return command.action(async (flags: Record<string, string | boolean | undefined>) => {
    const settings: Record<string, OverrideValue> = {};
    for (const { flag, key, parse } of settingFlags) {
      // Only flags the user typed override the file: defaults must not.
      if (command.getOptionValueSource(flag) === 'cli' && flags[flag] !== undefined) settings[key] = parse(flags[flag]!);
    }
    await runBroker({
      configFile: typeof flags.config === 'string' ? flags.config : undefined,
      overrides: {
        port: flags.port === undefined ? undefined : parsePort(String(flags.port)),
        host: typeof flags.host === 'string' ? flags.host : undefined,
        settings,
      },
      logLevel: typeof flags.logLevel === 'string' ? flags.logLevel as LogLevelName : undefined,
      logFormat: typeof flags.logFormat === 'string' ? flags.logFormat as LogFormat : undefined,
      testConfig: flags.testConfig === true,
      mqttsnPort: flags.mqttsnPort === undefined ? undefined : parsePort(String(flags.mqttsnPort)),
    });
  });
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid count '${value}'`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port '${value}'`);
  return n;
}
