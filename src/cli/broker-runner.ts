import pino from 'pino';
import { ConfigError, configWarnings, formatConfig, loadConfig, type ConfigOverrides, type MidgeConfig } from '../config/index.js';
import { startFromConfig, type ConfiguredServer } from '../server/index.js';
import { CliError, ExitCode, printWarning } from './errors.js';

/** What `midge broker` was asked to do. */
export interface BrokerRun {
  configFile: string | undefined;
  overrides: ConfigOverrides;
  /** From --log-level when given; else the configuration's. */
  logLevel: string | undefined;
  testConfig: boolean;
  /** UDP port of an MQTT-SN gateway to run as well (`--mqttsn-port`). */
  mqttsnPort?: number;
}

/** Seconds a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Loads the configuration and either prints it (`--test-config`) or runs the
 * broker until SIGINT/SIGTERM; SIGHUP reloads password, ACL and SCRAM files and
 * certificates without dropping clients.
 */
export async function runBroker(run: BrokerRun): Promise<void> {
  const config = load(run);
  if (run.testConfig) {
    process.stdout.write(formatConfig(config));
    for (const w of configWarnings(config)) printWarning(w);
    return;
  }
  const logger = pino({ level: run.logLevel ?? config.operations.logLevel, base: { svc: 'midge' } });
  for (const w of configWarnings(config)) logger.warn({ warning: w }, 'configuration warning');
  // --mqttsn-port: an MQTT-SN gateway beside the configured listeners, on --host or 127.0.0.1.
  const snListeners = run.mqttsnPort === undefined ? undefined : [{ port: run.mqttsnPort, host: run.overrides.host ?? '127.0.0.1' }];
  const started = await startFromConfig(config, logger, undefined, snListeners);
  for (const l of started.server.listeners) logger.info({ listener: l.name, address: l.host, port: l.port }, 'listening');
  handleSignals(started, logger);
}

function load(run: BrokerRun): MidgeConfig {
  try {
    return loadConfig({ file: run.configFile, overrides: run.overrides });
  } catch (err) {
    // mosquitto exits 3 for a configuration it refuses.
    if (err instanceof ConfigError) throw new CliError(err.message, ExitCode.InvalidConfig);
    throw err;
  }
}

function handleSignals(started: ConfiguredServer, logger: pino.Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    // A second signal means now.
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    started.server.close().then(() => {
      clearTimeout(timer);
      process.exit(0);
    }, (err: unknown) => {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading password, ACL and SCRAM files and certificates');
    started.reload().then((failed) => {
      if (failed.length === 0) logger.info({}, 'reload complete');
      else logger.error({ failed }, 'reload incomplete; the failed parts keep their previous settings');
    }, (err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'reload failed'));
  });
}
