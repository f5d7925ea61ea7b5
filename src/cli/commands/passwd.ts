/**
 * `midge passwd`: manage Mosquitto-compatible password files, with mosquitto_passwd's flags:
 *
 * ```
 * midge passwd [-H sha512 | -H sha512-pbkdf2 | -H scram-sha-256] [-I iterations] [-c | -D] passwordfile username
 * midge passwd [-H ...] [-I iterations] [-c] -b passwordfile username password
 * midge passwd [-H ...] -U passwordfile
 * ```
 *
 * `-H scram-sha-256` writes SCRAM-SHA-256 verifiers (`user:SCRAM-SHA-256$...`) for the broker's
 * `scram_users_file` instead of Mosquitto hashes; the two kinds never share a file.
 *
 * Differences from mosquitto_passwd, all deliberate: `$7$` lines get 210,000 PBKDF2 iterations
 * by default instead of 101 (Mosquitto 2.0 reads any count); the file is replaced atomically
 * and left with mode 0600; comments and blank lines survive edits; `-U` leaves entries that
 * are already hashed alone; empty passwords are refused in batch mode too.
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  MAX_ITERATIONS,
  hashPlaintextEntries,
  passwordProblem,
  removeEntry,
  renderPasswordFile,
  splitPasswordFile,
  upsertEntry,
  usernameProblem,
  writePasswordFile,
  type PasswordFileLine,
} from '../../auth/index.js';
import { DEFAULT_SCRAM_ITERATIONS, parseSecretKind, secretFormat, type SecretFormat, type SecretKind } from './passwd-format.js';

/** Where `midge passwd` prompts for passwords; a TTY input is read with echo off. */
export interface PasswdIo {
  input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: Writable;
}

/** The parsed flags of `midge passwd`. */
export interface PasswdFlags {
  create?: boolean;
  delete?: boolean;
  batch?: boolean;
  updatePlaintext?: boolean;
  hash: SecretKind;
  /** PBKDF2 iterations; undefined: the default of the kind. */
  iterations?: number;
}

/** One `midge passwd` invocation: the flags and the positional arguments. */
export interface PasswdRequest extends PasswdFlags {
  file: string;
  username?: string;
  password?: string;
}

const processIo: PasswdIo = { input: process.stdin, output: process.stdout };

/** The `passwd` subcommand. `io` is where passwords are prompted for (the terminal by default). */
export function passwdCommand(io: PasswdIo = processIo): Command {
  return new Command('passwd')
    .description('manage Mosquitto-compatible password files ($7$ PBKDF2-SHA512 hashes by default), or SCRAM-SHA-256 users files (-H scram-sha-256)')
    .usage('[-H hash] [-c | -D] passwordfile username\n       midge passwd [-H hash] [-c] -b passwordfile username password\n       midge passwd [-H hash] -U passwordfile')
    .option('-c, --create', 'create a new password file; overwrites an existing one')
    .option('-D, --delete', 'delete the user rather than adding or updating its password')
    .option('-b, --batch', 'take the password from the command line instead of prompting')
    .option('-U, --update-plaintext', 'hash the plain-text passwords of a password file')
    .option('-H, --hash <type>', 'sha512-pbkdf2 ($7$), sha512 ($6$, Mosquitto 1.x), or scram-sha-256 (verifiers for scram_users_file)', parseSecretKind, 'sha512-pbkdf2' as SecretKind)
    .option('-I, --iterations <count>', `PBKDF2 iterations of new hashes (default ${DEFAULT_PBKDF2_ITERATIONS} for $7$, ${DEFAULT_SCRAM_ITERATIONS} for SCRAM-SHA-256)`, parseIterationCount)
    .argument('<passwordfile>', 'the password file')
    .argument('[username]', 'the user to add, update or delete')
    .argument('[password]', 'the password (with -b only)')
    .action(async (file: string, username: string | undefined, password: string | undefined, flags: PasswdFlags) => {
      await runPasswd({ ...flags, file, username, password }, io);
    });
}

function parseIterationCount(value: string): number {
  const count = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_ITERATIONS) {
    throw new InvalidArgumentError(`the number of iterations must be from 1 to ${MAX_ITERATIONS}`);
  }
  return count;
}

/** Checks the flag combination and the arguments each mode needs, with mosquitto_passwd's messages. */
function validateRequest(request: PasswdRequest): void {
  const { create, delete: remove, batch, updatePlaintext, username, password } = request;
  if (create && remove) throw new Error('-c and -D cannot be used together.');
  if (create && updatePlaintext) throw new Error('-c and -U cannot be used together.');
  if (remove && updatePlaintext) throw new Error('-D and -U cannot be used together.');
  if (remove && batch) throw new Error('-b and -D cannot be used together.');
  if (batch && updatePlaintext) throw new Error('-b and -U cannot be used together.');
  if (updatePlaintext) {
    if (username !== undefined) throw new Error('-U takes only the password file.');
    return;
  }
  if (username === undefined) throw new Error('a user name is required.');
  const nameProblem = usernameProblem(username);
  if (nameProblem) throw new Error(nameProblem);
  if (batch) {
    if (password === undefined) throw new Error('-b needs the password file, the user name and the password.');
    const problem = passwordProblem(password);
    if (problem) throw new Error(problem);
  } else if (password !== undefined) {
    throw new Error('a password on the command line needs -b.');
  }
}

/** Carries out one `midge passwd` invocation; rejects with a one-line message on any error. */
export async function runPasswd(request: PasswdRequest, io: PasswdIo = processIo): Promise<void> {
  validateRequest(request);
  const format = secretFormat(request.hash, request.iterations);
  const username = request.username as string;

  if (request.create) {
    const password = request.batch ? (request.password as string) : await promptNewPassword(io);
    await save(request.file, upsertEntry([], username, await format.encode(password)));
    return;
  }
  const lines = await readPasswordFileLines(request.file);
  if (!request.delete) checkSameKind(lines, format, request.file);
  if (request.updatePlaintext) {
    await save(request.file, (await hashPlaintextEntries(lines, format.encode, format.isEncoded)).lines);
  } else if (request.delete) {
    const { lines: kept, removed } = removeEntry(lines, username);
    if (removed === 0) throw new Error(`User ${username} not found in password file.`);
    await save(request.file, kept);
  } else {
    const password = request.batch ? (request.password as string) : await promptNewPassword(io);
    await save(request.file, upsertEntry(lines, username, await format.encode(password)));
  }
}

/** Refuses to add one kind of secret to a file of the other kind, naming the first entry that shows it. */
function checkSameKind(lines: readonly PasswordFileLine[], format: SecretFormat, file: string): void {
  for (const line of lines) {
    const why = line.kind === 'entry' ? format.otherKind(line.secret) : undefined;
    if (why) throw new Error(`${file}:${line.lineNumber}: not changed: ${why}.`);
  }
}

async function save(file: string, lines: readonly PasswordFileLine[]): Promise<void> {
  try {
    await writePasswordFile(file, renderPasswordFile(lines));
  } catch (err) {
    throw new Error(`Unable to write password file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
  }
}

async function readPasswordFileLines(file: string): Promise<PasswordFileLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (use -c to create it)' : code ?? String(err);
    throw new Error(`Unable to open password file ${file}: ${why}.`);
  }
  return splitPasswordFile(text, file);
}

/** Asks twice, as mosquitto_passwd does, and checks the answers. */
async function promptNewPassword(io: PasswdIo): Promise<string> {
  const reader = secretReader(io);
  try {
    const first = await reader.read('Password: ');
    const second = await reader.read('Reenter password: ');
    if (first !== second) throw new Error('Passwords do not match.');
    const problem = passwordProblem(first);
    if (problem) throw new Error(problem);
    return first;
  } finally {
    reader.close();
  }
}

interface SecretReader {
  read(prompt: string): Promise<string>;
  close(): void;
}

function secretReader(io: PasswdIo): SecretReader {
  const { input, output } = io;
  if (input.isTTY && input.setRawMode) return new TerminalSecretReader(io);
  // Not a terminal (a pipe, a test): nothing is echoed anyway, so read plain lines.
  const lines = createInterface({ input, terminal: false })[Symbol.asyncIterator]();
  return {
    async read(prompt) {
      output.write(prompt);
      const next = await lines.next();
      output.write('\n');
      if (next.done) throw new Error('no password given (end of input).');
      return next.value;
    },
    close: () => void lines.return?.(),
  };
}

/**
 * Reads lines from a terminal in raw mode, so the password is never echoed. Characters typed
 * (or pasted) past the end of one line are kept for the next prompt.
 */
class TerminalSecretReader implements SecretReader {
  readonly #io: PasswdIo;
  #typedAhead = '';

  constructor(io: PasswdIo) {
    this.#io = io;
  }

  read(prompt: string): Promise<string> {
    const { input, output } = this.#io;
    output.write(prompt);
    input.setRawMode?.(true);
    return new Promise<string>((resolve, reject) => {
      let typed = '';
      const finish = (outcome: () => void): void => {
        input.off('data', onData);
        input.setRawMode?.(false);
        input.pause();
        output.write('\n');
        outcome();
      };
      /** Applies typed characters; true once the line is complete (or abandoned). */
      const apply = (chars: string[]): boolean => {
        for (let i = 0; i < chars.length; i++) {
          const char = chars[i]!;
          if (char === '\r' || char === '\n') {
            const next = char === '\r' && chars[i + 1] === '\n' ? i + 2 : i + 1;
            this.#typedAhead = chars.slice(next).join('');
            finish(() => resolve(typed));
            return true;
          }
          if (char === '\u0003' || (char === '\u0004' && typed === '')) {
            this.#typedAhead = '';
            const why = char === '\u0003' ? 'interrupted.' : 'no password given (end of input).';
            finish(() => reject(new Error(why)));
            return true;
          }
          if (char === '\u007f' || char === '\b') typed = Array.from(typed).slice(0, -1).join('');
          else typed += char;
        }
        return false;
      };
      const onData = (chunk: Buffer | string): void => void apply(Array.from(chunk.toString()));
      const ahead = this.#typedAhead;
      this.#typedAhead = '';
      if (!apply(Array.from(ahead))) {
        input.on('data', onData);
        input.resume();
      }
    });
  }

  close(): void {
    this.#typedAhead = '';
  }
}
