import { resolve } from 'node:path';
import { ConfigError, configWarnings, formatConfig, loadConfig, type ConfigOverrides, type MidgeConfig } from '../config/index.js';
import { createLog, type LogFormat, type LogLevelName, type MidgeLog } from '../logging/index.js';
import { checkConfigFiles, logLinePublisher, logOptionsFromConfig, startFromConfig, type ConfiguredServer } from '../server/index.js';
import type { Logger } from '../broker/index.js';
import { CliError, ExitCode, printWarning } from './errors.js';
import { writePidFile } from './pid-file.js';
import { shutdownOnSignal } from './shutdown-signals.js';
import { version } from './version.js';

/** What `midge broker` was asked to do. */
export interface BrokerRun {
  configFile: string | undefined;
  overrides: ConfigOverrides;
  /** From --log-level when given; else the configuration's. */
  logLevel: LogLevelName | undefined;
  /** From --log-format when given; else the configuration's. */
  logFormat?: LogFormat;
  testConfig: boolean;
  /** UDP port of an MQTT-SN gateway to run as well (`--mqttsn-port`). */
  mqttsnPort?: number;
}

/** Seconds a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Loads the configuration and either checks it (`--test-config`: every file it names
 * is loaded, then the resolved configuration is printed) or runs the broker until
 * SIGINT/SIGTERM; SIGHUP reopens log files and reloads the configuration.
 */
export async function runBroker(run: BrokerRun): Promise<void> {
  const config = load(run);
  if (run.testConfig) {
    // A file the configuration names that does not load is a configuration the broker refuses.
    await checkConfigFiles(config).catch((err: unknown) => {
      throw new CliError(err instanceof Error ? err.message : String(err), ExitCode.InvalidConfig);
    });
    process.stdout.write(formatConfig(config));
    for (const w of configWarnings(config)) printWarning(w);
    return;
  }
  const log = createLog(logOptionsFromConfig(config, { level: run.logLevel, format: run.logFormat }));
  const logger = log.logger;
  logger.info({ version }, 'starting');
  if (run.configFile) logger.info({ file: resolve(run.configFile) }, 'config loaded');
  for (const w of configWarnings(config)) logger.warn({ warning: w }, 'configuration warning');
  // --mqttsn-port: an MQTT-SN gateway beside the configured listeners, on --host or 127.0.0.1.
  const snListeners = run.mqttsnPort === undefined ? undefined : [{ port: run.mqttsnPort, host: run.overrides.host ?? '127.0.0.1' }];
  const starting = startFromConfig(config, logger, undefined, snListeners);
  // Signals are handled from the start: a SIGTERM while the store restores or the listeners
  // bind shuts down as gracefully as one later (the default action would kill the process).
  handleSignals(starting, log, run);
  const started = await starting;
  log.attachTopic(logLinePublisher(started.server.broker));
  if (config.operations.pidFile) writePidFile(config.operations.pidFile);
  logger.info({ version }, 'running');
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

function handleSignals(starting: Promise<ConfiguredServer>, log: MidgeLog, run: BrokerRun): void {
  const logger = log.logger;
  const stop = shutdownOnSignal({
    close: () => starting.then((started) => started.server.close()),
    exit: (code) => process.exit(code),
    logger: log.logger,
    timeoutMs: SHUTDOWN_TIMEOUT_MS,
    afterClose: () => log.close(),
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    // Log files first, so that everything the reload says lands in the new file.
    log.reopen();
    starting.then((started) => reload(started, logger, run)).catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'reload failed'));
  });
}

/** SIGHUP: re-reads the configuration file and applies what it can; says what needs a restart. */
async function reload(started: ConfiguredServer, logger: Logger, run: BrokerRun): Promise<void> {
  logger.info({ signal: 'SIGHUP' }, 'reloading');
  let next: MidgeConfig | undefined;
  try {
    next = load(run);
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) },
      'configuration file not reloaded: it has an error; the running configuration stays (password, ACL and SCRAM files and certificates are still reloaded)');
  }
  const report = await started.reload(next);
  if (report.failed.length === 0 && report.restartNeeded.length === 0) {
    logger.info({ applied: report.applied }, 'reload complete');
    return;
  }
  if (report.restartNeeded.length > 0) {
    logger.warn({ applied: report.applied, restartNeeded: report.restartNeeded }, 'reload needs a restart');
  }
  if (report.failed.length > 0) logger.error({ failed: report.failed }, 'reload incomplete; the failed parts keep their previous settings');
}
