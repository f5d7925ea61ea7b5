#!/usr/bin/env node
/**
 * The `midge` command: one binary with a subcommand per tool
 * (broker, pub, sub, rr, passwd, store, bench, sn-pub, sn-sub).
 */
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { CliError, ExitCode, printError, useErrorStyle } from './errors.js';
import { defaultArguments } from './mqtt-tools/defaults-file.js';
import { version } from './version.js';

async function main(): Promise<void> {
  const program = new Command('midge')
    .description('midge: an MQTT broker, MQTT-SN gateway and tools')
    .version(version, '--version')
    .showHelpAfterError(false);
  const chosen = commands.find((c) => c.name === process.argv[2]);
  let argv = process.argv;
  if (chosen) {
    const make = await chosen.load();
    program.addCommand(make());
    // The per-user defaults go first, so that what is typed wins.
    if (chosen.defaults) argv = [...argv.slice(0, 3), ...defaultArguments(chosen.defaults, make), ...argv.slice(3)];
  } else {
    // Help or a mistyped command: list every command without loading any.
    for (const c of commands) program.command(c.name).description(c.summary).allowUnknownOption().action(() => {});
  }
  await useErrorStyle(program).parseAsync(argv);
}

main().catch((err: unknown) => {
  printError(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof CliError ? err.exitCode : ExitCode.Failure);
});
