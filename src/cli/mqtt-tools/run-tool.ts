import { MqttClient, type ClientOptions } from '../../client/index.js';
import type { ConnectionSetup } from './connection-flags.js';
import { logPackets } from './debug-log.js';
import { tracePackets } from './packet-trace.js';
import { printError } from '../errors.js';
import { describeFailure } from './tool-error.js';

/**
 * Runs a tool's body and turns its outcome into an exit status: the number it
 * returns, or for anything it throws one `midge: ` line on stderr (none with `--quiet`) and
 * the status {@link describeFailure} picks. Never a stack trace.
 */
export async function runTool(quiet: boolean | undefined, body: () => Promise<number>): Promise<void> {
  let exitCode: number;
  try {
    exitCode = await body();
  } catch (e) {
    const failure = describeFailure(e);
    if (!quiet) printError(failure.line);
    exitCode = failure.exitCode;
  }
  process.exitCode = exitCode;
  // Leave even if something (a half-read stdin) still holds the event loop; the
  // timer itself does not keep the process alive when nothing else does.
  setTimeout(() => process.exit(exitCode), 1000).unref();
}

/**
 * Creates the client for a tool, with `-d` packet logging and `--trace`; the tool connects it.
 * Iterators must be made before connecting: a resumed session can deliver queued
 * messages right behind CONNACK.
 */
export function createClient(setup: ConnectionSetup, debug: boolean | undefined, extra: ClientOptions = {}): MqttClient {
  const client = new MqttClient(setup.url, { ...setup.options, ...extra });
  if (debug) logPackets(client);
  if (setup.trace) tracePackets(client, setup.version);
  return client;
}

/** Resolves on the first SIGINT or SIGTERM (a tool that runs until stopped stops cleanly). */
export function interrupted(): { promise: Promise<void>; dispose(): void } {
  let dispose = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    dispose = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    };
  });
  return { promise, dispose };
}
