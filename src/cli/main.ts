#!/usr/bin/env node
/**
 * The `midge` command: one binary with a subcommand per tool
 * (broker, pub, sub, rr, passwd, bench, sn-pub, sn-sub).
 */
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { CliError, ExitCode, printError, useErrorStyle } from './errors.js';
import { version } from './version.js';

async function main(): Promise<void> {
  const program = new Command('midge')
    .description('midge: an MQTT broker, MQTT-SN gateway and tools')
    .version(version, '--version')
    .showHelpAfterError(false);
  const chosen = commands.find((c) => c.name === process.argv[2]);
  if (chosen) {
    program.addCommand((await chosen.load())());
  } else {
    // Help or a mistyped command: list every command without loading any.
    for (const c of commands) program.command(c.name).description(c.summary).allowUnknownOption().action(() => {});
  }
  await useErrorStyle(program).parseAsync(process.argv);
}

main().catch((err: unknown) => {
  printError(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof CliError ? err.exitCode : ExitCode.Failure);
});
