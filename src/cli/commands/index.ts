import type { Command } from 'commander';
import { brokerCommand } from './broker.js';
import { passwdCommand } from './passwd.js';
import { pubCommand } from './pub.js';
import { rrCommand } from './rr.js';
import { subCommand } from './sub.js';

/**
 * Every subcommand of `midge`, each a factory in its own file. Add a line here
 * when you add a command.
 */
export const commands: ReadonlyArray<() => Command> = [
  brokerCommand,
  pubCommand,
  subCommand,
  rrCommand,
  passwdCommand,
];
