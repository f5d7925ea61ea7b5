/**
 * Per-user defaults for `midge pub`, `sub` and `rr`, as mosquitto_pub/sub/rr read
 * `~/.config/mosquitto_pub` (and `_sub`, `_rr`): `$XDG_CONFIG_HOME/midge_pub` when
 * XDG_CONFIG_HOME is set, else `$HOME/.config/midge_pub`. One option per line, `-h broker`
 * or `--port 1884`: the first word is the flag and the rest of the line its value (blanks
 * included, so `-m hello world` is one message); lines starting with `#` are comments.
 * The options come before those of the command line, so the command line wins for
 * single-valued options and adds to repeatable ones (`-t`), as in mosquitto.
 */
import { CommanderError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import type { ToolName } from './connection-flags.js';

/** Where the defaults of a tool live, or undefined when neither XDG_CONFIG_HOME nor HOME is set. */
export function defaultsFilePath(tool: ToolName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = `midge_${tool}`;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, name);
  if (env.HOME) return join(env.HOME, '.config', name);
  return undefined;
}

/** One line of a defaults file, as arguments. */
interface DefaultsLine {
  line: number;
  args: string[];
}

/** The option lines of a defaults file's text. */
export function parseDefaultsText(text: string): DefaultsLine[] {
  const lines: DefaultsLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(\S+)\s*(.*)$/.exec(line)!;
    lines.push({ line: index + 1, args: match[2] === '' ? [match[1]!] : [match[1]!, match[2]!] });
  });
  return lines;
}

/**
 * The arguments of a tool's defaults file (none when there is no file). Each line is
 * checked on its own against a fresh copy of the command, so a bad one is reported with
 * the file and line rather than as if typed on the command line.
 */
export function defaultArguments(tool: ToolName, makeCommand: () => Command, env: NodeJS.ProcessEnv = process.env): string[] {
  const path = defaultsFilePath(tool, env);
  if (path === undefined) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`Unable to read defaults file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
  }
  const lines = parseDefaultsText(text);
  for (const { line, args } of lines) {
    const problem = lineProblem(makeCommand(), args);
    if (problem) throw new CliError(`${path}:${line}: ${problem}`);
  }
  return lines.flatMap((l) => l.args);
}

/** What commander says about one line's options, or undefined when it takes them. */
function lineProblem(command: Command, args: string[]): string | undefined {
  let said = '';
  command.exitOverride().configureOutput({ writeErr: () => undefined, outputError: (text) => { said += text; } });
  try {
    const { operands, unknown } = command.parseOptions(args);
    if (unknown.length > 0 || operands.length > 0) return `unknown option '${unknown[0] ?? operands[0]}'`;
    return undefined;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return (said || err.message).trim().replace(/^error: /, '');
  }
}
