import type { Logger } from '../broker/index.js';

/** What a shutdown on a signal needs: how to close, how to end the process, and how long to wait. */
export interface ShutdownControl {
  /** Closes the broker gracefully (clients told, store committed). */
  close(): Promise<void>;
  /** Ends the process with this code (process.exit in the broker; a spy in tests). */
  exit(code: number): void;
  logger: Logger;
  /** After this long the first shutdown gives up and exits 1. */
  timeoutMs: number;
  /** Runs after a graceful close, before exit(0) (flushes the log). */
  afterClose?: () => void;
}

/**
 * Returns the SIGINT/SIGTERM handler: the first signal closes gracefully and exits 0 (1 if the
 * close fails or outlasts `timeoutMs`); a second signal while the first waits exits 1 at once,
 * as an operator pressing Ctrl-C twice expects.
 */
export function shutdownOnSignal(control: ShutdownControl): (signal: string) => void {
  const { logger } = control;
  let stopping = false;
  return (signal) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while shutting down: exiting now without waiting for the graceful shutdown');
      control.exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: control.timeoutMs }, 'shutdown took too long; exiting');
      control.exit(1);
    }, control.timeoutMs);
    control.close().then(() => {
      clearTimeout(timer);
      control.afterClose?.();
      control.exit(0);
    }, (err: unknown) => {
      clearTimeout(timer);
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
      control.exit(1);
    });
  };
}
