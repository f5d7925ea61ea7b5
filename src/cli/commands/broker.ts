import { Command, Option } from 'commander';
import pino from 'pino';
import { startServer } from '../../server/index.js';

interface BrokerFlags {
  config?: string;
  host?: string;
  port?: string;
  logLevel: string;
  testConfig?: boolean;
}

/** `midge broker`: runs the broker in the foreground. */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('run the MQTT broker in the foreground (default: 127.0.0.1:1883)')
    .option('-c, --config <file>', 'configuration file (mosquitto.conf syntax or YAML)')
    .option('--host <address>', 'address of the default listener', undefined)
    .option('-p, --port <port>', 'port of the default listener')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .option('--test-config', 'check the configuration, print it resolved and exit')
    .action(async (flags: BrokerFlags) => {
      await runBroker(flags);
    });
}

async function runBroker(flags: BrokerFlags): Promise<void> {
  const logger = pino({ level: flags.logLevel, base: { svc: 'midge' } });
  const port = flags.port === undefined ? 1883 : parsePort(flags.port);
  const server = await startServer({
    listeners: [{ port, host: flags.host ?? '127.0.0.1', protocol: 'mqtt' }],
    broker: { logger },
  });
  for (const l of server.listeners) logger.info({ listener: l.name, address: l.host, port: l.port }, 'listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000);
    server.close().then(() => {
      clearTimeout(timer);
      process.exit(0);
    }, () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port '${value}'`);
  return n;
}
