import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { CommanderError } from 'commander';
import { parsePasswordFile, parsePasswordHash, verifyPassword } from '../../src/auth/index.js';
import { ScramSha256Authenticator, parseScramUsers } from '../../src/auth/scram/index.js';
import { ScramSha256 } from '../../src/client/index.js';
import { passwdCommand, type PasswdIo } from '../../src/cli/commands/passwd.js';
import { runProcess, tempDir } from './fixtures.js';

/** A stand-in terminal: records raw-mode switches and what was written to it. */
class FakeTerminal extends PassThrough {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];
  setRawMode(raw: boolean): this {
    this.rawModes.push(raw);
    return this;
  }
}

interface Outcome {
  output: string;
  error: Error | undefined;
}

/** Runs `midge passwd <args>` in process, typing `typed` at the prompts (a pipe, or the given terminal). */
async function passwd(args: string[], typed = '', terminal?: FakeTerminal): Promise<Outcome> {
  const output = new PassThrough();
  let written = '';
  output.on('data', (chunk: Buffer) => { written += chunk.toString(); });
  const input = terminal ?? new PassThrough();
  const io: PasswdIo = { input, output };
  if (terminal) setImmediate(() => terminal.write(typed));
  else input.end(typed);
  let commanderMessage = '';
  const command = passwdCommand(io)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: (text) => { commanderMessage += text; } });
  try {
    await command.parseAsync(args, { from: 'user' });
    return { output: written, error: undefined };
  } catch (err) {
    const error = err instanceof CommanderError ? new Error(commanderMessage || err.message) : (err as Error);
    return { output: written, error };
  }
}

async function expectOk(args: string[], typed?: string): Promise<string> {
  const { output, error } = await passwd(args, typed);
  assert.equal(error, undefined, `midge passwd ${args.join(' ')} failed: ${error?.message}`);
  return output;
}

async function passwordOf(file: string, user: string, password: string): Promise<boolean> {
  const table = parsePasswordFile(await readFile(file, 'utf8'), file);
  const stored = table.get(user);
  assert.ok(stored, `${user} is not in ${file}`);
  return verifyPassword(Buffer.from(password), stored);
}

const fast = ['-I', '1000'];

describe('midge passwd', () => {
  it('creates a file of one $7$ line with 210,000 iterations, readable by its owner only', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-b', file, 'alice', 'secret']);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^alice:\$7\$210000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==\n$/);
    assert.equal(await passwordOf(file, 'alice', 'secret'), true);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('overwrites an existing file with -c', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await writeFile(file, 'old:secret\n');
    await expectOk(['-c', '-b', ...fast, file, 'alice', 'secret']);
    assert.deepEqual([...parsePasswordFile(await readFile(file, 'utf8'), file).keys()], ['alice']);
  });

  it('adds and updates users in place, keeping comments, blank lines and other users', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-b', ...fast, file, 'alice', 'one']);
    await writeFile(file, `# staff\n${await readFile(file, 'utf8')}\n`);
    await expectOk(['-b', ...fast, file, 'bob', 'two']);
    await expectOk(['-b', ...fast, file, 'alice', 'three']);
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.equal(lines[0], '# staff');
    assert.match(lines[1]!, /^alice:\$7\$1000\$/);
    assert.equal(lines[2], '');
    assert.match(lines[3]!, /^bob:/);
    assert.equal(await passwordOf(file, 'alice', 'three'), true);
    assert.equal(await passwordOf(file, 'bob', 'two'), true);
  });

  it('leaves the file mode 0600 after an edit, whatever it was', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-b', ...fast, file, 'alice', 'one']);
    await chmod(file, 0o644);
    await expectOk(['-b', ...fast, file, 'bob', 'two']);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('writes a $6$ line with -H sha512', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-H', 'sha512', '-b', file, 'alice', 'secret']);
    assert.match(await readFile(file, 'utf8'), /^alice:\$6\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==\n$/);
    assert.equal(await passwordOf(file, 'alice', 'secret'), true);
  });

  it('deletes a user with -D and keeps the others', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-b', ...fast, file, 'alice', 'one']);
    await expectOk(['-b', ...fast, file, 'bob', 'two']);
    await expectOk(['-D', file, 'alice']);
    assert.deepEqual([...parsePasswordFile(await readFile(file, 'utf8'), file).keys()], ['bob']);
  });

  it('fails on deleting a user that is not there and leaves the file alone', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-b', ...fast, file, 'alice', 'one']);
    const before = await readFile(file, 'utf8');
    const { error } = await passwd(['-D', file, 'carol']);
    assert.equal(error?.message, 'User carol not found in password file.');
    assert.equal(await readFile(file, 'utf8'), before);
  });

  it('hashes plain-text passwords with -U and leaves hashed entries alone', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-b', ...fast, file, 'alice', 'one']);
    const aliceLine = (await readFile(file, 'utf8')).trim();
    await writeFile(file, `${aliceLine}\n# plain\nbob:two\ncarol: with:colon \n`);
    await expectOk(['-U', ...fast, file]);
    const text = await readFile(file, 'utf8');
    assert.equal(text.split('\n')[0], aliceLine);
    assert.equal(text.split('\n')[1], '# plain');
    assert.equal(await passwordOf(file, 'bob', 'two'), true);
    assert.equal(await passwordOf(file, 'carol', 'with:colon'), true);
    await expectOk(['-U', ...fast, file]);
    assert.equal(await readFile(file, 'utf8'), text);
  });

  it('prompts twice for the password when not in batch mode', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    const output = await expectOk(['-c', ...fast, file, 'alice'], 'pa55 word\npa55 word\n');
    assert.equal(output, 'Password: \nReenter password: \n');
    assert.equal(await passwordOf(file, 'alice', 'pa55 word'), true);
  });

  it('reads a terminal in raw mode, so nothing typed is echoed, and honours backspace', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    const terminal = new FakeTerminal();
    const { output, error } = await passwd(['-c', ...fast, file, 'alice'], 'secrex\u007ft\rsecret\r', terminal);
    assert.equal(error, undefined);
    assert.equal(output, 'Password: \nReenter password: \n');
    assert.deepEqual(terminal.rawModes, [true, false, true, false]);
    assert.equal(await passwordOf(file, 'alice', 'secret'), true);
  });

  const promptFailures: Array<[string, string, string]> = [
    ['the two passwords differ', 'one\ntwo\n', 'Passwords do not match.'],
    ['the password is empty', '\n\n', 'Empty password.'],
    ['the input ends before a password', 'one\n', 'no password given (end of input).'],
  ];
  for (const [what, typed, message] of promptFailures) {
    it(`fails without writing when ${what}`, async (t) => {
      const file = join(await tempDir(t), 'users.pw');
      const { error } = await passwd(['-c', ...fast, file, 'alice'], typed);
      assert.equal(error?.message, message);
      await assert.rejects(stat(file), { code: 'ENOENT' });
    });
  }

  const usageErrors: Array<[string, (file: string) => string[], RegExp]> = [
    ['-c with -D', (f) => ['-c', '-D', f, 'alice'], /^-c and -D cannot be used together\.$/],
    ['-c with -U', (f) => ['-c', '-U', f], /^-c and -U cannot be used together\.$/],
    ['-D with -U', (f) => ['-D', '-U', f], /^-D and -U cannot be used together\.$/],
    ['-b with -D', (f) => ['-b', '-D', f, 'alice'], /^-b and -D cannot be used together\.$/],
    ['-b with -U', (f) => ['-b', '-U', f], /^-b and -U cannot be used together\.$/],
    ['no user name', (f) => [f], /^a user name is required\.$/],
    ['a user name with -U', (f) => ['-U', f, 'alice'], /^-U takes only the password file\.$/],
    ['-b without a password', (f) => ['-b', f, 'alice'], /^-b needs the password file, the user name and the password\.$/],
    ['a password without -b', (f) => [f, 'alice', 'secret'], /^a password on the command line needs -b\.$/],
    ['a user name with a colon', (f) => ['-b', f, 'al:ice', 'x'], /^Username must not contain the ':' character\.$/],
    ['a user name with a control character', (f) => ['-b', f, 'al\tice', 'x'], /^Username must not contain control characters\.$/],
    ['a user name starting with #', (f) => ['-b', f, '#alice', 'x'], /^User name must not start with '#'\.$/],
    ['an empty password with -b', (f) => ['-b', f, 'alice', ''], /^Empty password\.$/],
    ['a password file that does not exist, without -c', (f) => ['-b', `${f}.missing`, 'alice', 'x'], /^Unable to open password file .*\.missing: no such file \(use -c to create it\)\.$/],
    ['an unknown hash type', (f) => ['-H', 'md5', '-b', f, 'alice', 'x'], /unknown hash type 'md5'/],
    ['zero iterations', (f) => ['-I', '0', '-b', f, 'alice', 'x'], /iterations must be from 1 to 2147483647/],
    ['too many arguments', (f) => ['-b', f, 'alice', 'x', 'extra'], /too many arguments/],
  ];
  for (const [what, args, message] of usageErrors) {
    it(`refuses ${what} with a one-line message and leaves the file alone`, async (t) => {
      const file = join(await tempDir(t), 'users.pw');
      await writeFile(file, 'alice:$6$AAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n');
      const before = await readFile(file, 'utf8');
      const { error } = await passwd(args(file));
      assert.ok(error, 'expected an error');
      assert.match(error.message.trim(), message);
      assert.equal(error.message.trim().includes('\n'), false);
      assert.equal(await readFile(file, 'utf8'), before);
    });
  }

  it('says which file it could not write', async (t) => {
    const file = join(await tempDir(t), 'no-such-dir', 'users.pw');
    const { error } = await passwd(['-c', '-b', ...fast, file, 'alice', 'x']);
    assert.equal(error?.message, `Unable to write password file ${file}: ENOENT.`);
  });

  it('exits non-zero with one line on stderr when run as `midge passwd`', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const result = await runProcess(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'passwd', '-c', '-D', file, 'alice'], 20_000, root);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'midge: -c and -D cannot be used together.\n');
  });

  it('names the file and line of a corrupt entry', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await writeFile(file, '# ok\nalice\n');
    const { error } = await passwd(['-b', ...fast, file, 'bob', 'x']);
    assert.equal(error?.message, `${file}:2: expected 'username:password-hash'`);
  });

  it('writes hashes that verify against the written line exactly', async (t) => {
    const file = join(await tempDir(t), 'users.pw');
    await expectOk(['-c', '-b', ...fast, file, 'alice', 'secret']);
    const stored = parsePasswordHash((await readFile(file, 'utf8')).trim().slice('alice:'.length));
    assert.equal(stored.iterations, 1000);
    assert.equal(await verifyPassword(Buffer.from('secret'), stored), true);
  });

  describe('-H scram-sha-256: verifiers for scram_users_file', () => {
    /** True when the broker's SCRAM-SHA-256 authenticator, reading `file`, admits `user` with `password`. */
    async function scramAdmits(file: string, user: string, password: string): Promise<boolean> {
      const context = { clientId: 'passwd-test', username: undefined, listener: 'mqtt:1883', remoteAddress: '127.0.0.1', reauthentication: false };
      const broker = new ScramSha256Authenticator(parseScramUsers(await readFile(file, 'utf8'), file)).begin(context);
      const client = new ScramSha256(user, password).begin();
      const challenge = await broker.step(client.start());
      assert.equal(challenge.outcome, 'continue');
      const outcome = await broker.step(client.next(challenge.outcome === 'continue' ? challenge.data : undefined));
      if (outcome.outcome !== 'success') return false;
      client.finish(outcome.data);
      return true;
    }

    it('writes user:SCRAM-SHA-256$4096:salt$StoredKey:ServerKey lines that the broker reads and that admit the right password only', async (t) => {
      const file = join(await tempDir(t), 'users.scram');
      await expectOk(['-H', 'scram-sha-256', '-c', '-b', file, 'alice', 'secret']);
      await expectOk(['-H', 'scram-sha-256', '-b', file, 'bob', 'builder']);
      const text = await readFile(file, 'utf8');
      assert.match(text, /^alice:SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=\nbob:SCRAM-SHA-256\$4096:/);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal(await scramAdmits(file, 'alice', 'secret'), true);
      assert.equal(await scramAdmits(file, 'bob', 'builder'), true);
      assert.equal(await scramAdmits(file, 'alice', 'builder'), false);
    });

    it('takes -I for the iteration count, and -U hashes plain-text entries, leaving verifiers alone', async (t) => {
      const file = join(await tempDir(t), 'users.scram');
      await expectOk(['-H', 'scram-sha-256', '-I', '8192', '-c', '-b', file, 'alice', 'secret']);
      const aliceLine = (await readFile(file, 'utf8')).trim();
      assert.match(aliceLine, /^alice:SCRAM-SHA-256\$8192:/);
      await writeFile(file, `${aliceLine}\ncarol:plain text\n`);
      await expectOk(['-H', 'scram-sha-256', '-U', file]);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      assert.equal(lines[0], aliceLine);
      assert.equal(await scramAdmits(file, 'carol', 'plain text'), true);
    });

    it('never mixes verifiers and Mosquitto hashes in one file, and says which line shows the other kind', async (t) => {
      const dir = await tempDir(t);
      const scram = join(dir, 'users.scram');
      const mosquitto = join(dir, 'users.pw');
      await expectOk(['-H', 'scram-sha-256', '-c', '-b', scram, 'alice', 'secret']);
      await expectOk(['-c', '-b', ...fast, mosquitto, 'alice', 'secret']);
      const into = await passwd(['-b', ...fast, scram, 'bob', 'x']);
      assert.equal(into.error?.message, `${scram}:1: not changed: it holds SCRAM-SHA-256 verifiers (a scram_users_file): use -H scram-sha-256.`);
      const other = await passwd(['-H', 'scram-sha-256', '-b', mosquitto, 'bob', 'x']);
      assert.match(other.error?.message ?? '', /users\.pw:1: not changed: it holds Mosquitto password hashes \(a password_file\)/);
      assert.deepEqual([...parseScramUsers(await readFile(scram, 'utf8'), scram).keys()], ['alice']);
    });
  });
});
