#!/usr/bin/env node
/**
 * The `midge` command: one binary with a subcommand per tool
 * (broker, pub, sub, rr, passwd, bench, sn-pub, sn-sub).
 */
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { version } from './version.js';

const program = new Command('midge')
  .description('midge: an MQTT broker, MQTT-SN gateway and tools')
  .version(version, '--version')
  .showHelpAfterError(false);

for (const make of commands) program.addCommand(make());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`midge: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
