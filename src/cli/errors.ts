/**
 * How every `midge` subcommand reports a failure: one line on stderr starting with
 * `midge: `, and an exit status as mosquitto's programs choose it. Messages keep
 * mosquitto's words where a mosquitto tool says the same thing (`Both topic and message
 * must be supplied.`), without its `Error: ` prefix.
 */
import type { Command } from 'commander';

/** What every error and warning line starts with. */
const PREFIX = 'midge: ';

/** Exit statuses, as mosquitto, mosquitto_pub/sub/rr and mosquitto_passwd use them. */
export const ExitCode = {
  /** A bad flag, value or combination; a failure without a more specific status. */
  Failure: 1,
  /** A configuration the broker refuses to start with (mosquitto's MOSQ_ERR_INVAL). */
  InvalidConfig: 3,
  /** `-W` ran out (MOSQ_ERR_TIMEOUT). A refused connection exits with the CONNACK code instead. */
  TimedOut: 27,
} as const;

/** A failure to report as one line (without the prefix) and an exit status. */
export class CliError extends Error {
  override name = 'CliError';

  constructor(message: string, readonly exitCode: number = ExitCode.Failure) {
    super(message);
  }
}

/** Prints `midge: <text>` on stderr. */
export function printError(text: string): void {
  process.stderr.write(`${PREFIX}${text}\n`);
}

/** Prints `midge: warning: <text>` on stderr. */
export function printWarning(text: string): void {
  process.stderr.write(`${PREFIX}warning: ${text}\n`);
}

/**
 * Gives commander's own messages (an unknown option, a value a parser refused, a missing
 * argument) the same form, on the command and all its subcommands; commander exits 1 for
 * them, as mosquitto's tools do for usage errors.
 */
export function useErrorStyle(command: Command): Command {
  command.configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, PREFIX)) });
  for (const sub of command.commands) useErrorStyle(sub);
  return command;
}
