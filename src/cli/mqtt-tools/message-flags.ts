import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../errors.js';

/** The message flags of mosquitto_pub and mosquitto_rr. */
export interface MessageFlags {
  message?: string;
  file?: string;
  stdinLine?: boolean;
  stdinFile?: boolean;
  nullMessage?: boolean;
}

/** Where the payload comes from. */
export type MessageSource =
  | { kind: 'single'; payload: Buffer }
  /** `-l`: one message per line of standard input. */
  | { kind: 'lines' };

/** Adds `-m -f -s -n` (and `-l` when `lines`) to a command. */
export function addMessageFlags(command: Command, lines: boolean): Command {
  command
    .option('-m, --message <message>', 'message payload to send')
    .option('-f, --file <file>', 'send the contents of a file as the message')
    .option('-s, --stdin-file', 'read the message from stdin, sending the whole input as one message')
    .option('-n, --null-message', 'send a zero length message');
  if (lines) command.option('-l, --stdin-line', 'read messages from stdin, one message per line');
  return command;
}

/**
 * The message source the flags name, or undefined when they name none. More than
 * one is an error, as in mosquitto. `-f` and `-s` are read here.
 */
export async function messageSource(flags: MessageFlags): Promise<MessageSource | undefined> {
  const given = [flags.message !== undefined, flags.file !== undefined, !!flags.stdinLine, !!flags.stdinFile, !!flags.nullMessage];
  const count = given.filter(Boolean).length;
  if (count === 0) return undefined;
  if (count > 1) throw new CliError('Only one type of message can be sent at once.');
  if (flags.message !== undefined) return { kind: 'single', payload: Buffer.from(flags.message, 'utf8') };
  if (flags.nullMessage) return { kind: 'single', payload: Buffer.alloc(0) };
  if (flags.stdinLine) return { kind: 'lines' };
  if (flags.file !== undefined) {
    try {
      return { kind: 'single', payload: readFileSync(flags.file) };
    } catch {
      throw new CliError(`Unable to read file "${flags.file}".`);
    }
  }
  return { kind: 'single', payload: await readAll(process.stdin) };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/**
 * Lines of a stream as raw bytes, split at `\n` only (a `\r` stays, as with
 * mosquitto_pub -l); a last line without `\n` counts too.
 */
export async function* readLines(stream: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  let rest = Buffer.alloc(0);
  for await (const chunk of stream) {
    let data = Buffer.concat([rest, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    let newline = data.indexOf(0x0a);
    while (newline >= 0) {
      yield data.subarray(0, newline);
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    rest = Buffer.from(data);
  }
  if (rest.length > 0) yield rest;
}
