import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuthFileError, hashPassword, loadPasswordFile, parsePasswordFile } from '../../src/auth/index.js';
import { tempDir } from './fixtures.js';

const alice = (await hashPassword('a', { iterations: 10 })).encoded;
const bob = (await hashPassword('b', { kind: 'sha512' })).encoded;

function expectLineError(text: string, line: number, message: RegExp): void {
  assert.throws(
    () => parsePasswordFile(text, 'users.pw'),
    (err: unknown) => {
      assert.ok(err instanceof AuthFileError);
      assert.equal(err.file, 'users.pw');
      assert.equal(err.line, line);
      assert.match(err.message, new RegExp(`^users\\.pw:${line}: `));
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('password files', () => {
  it('reads $6$ and $7$ entries and skips comments and blank lines', () => {
    const table = parsePasswordFile(`# users\n\nalice:${alice}\n   # indented comment\n\r\nbob:${bob}\n`, 'users.pw');
    assert.deepEqual([...table.keys()], ['alice', 'bob']);
    assert.equal(table.get('alice')?.kind, 'sha512-pbkdf2');
    assert.equal(table.get('bob')?.kind, 'sha512');
  });

  it('trims blanks around user names and hashes and accepts CRLF line ends, as Mosquitto does', () => {
    const table = parsePasswordFile(` alice : ${alice} \r\n`, 'users.pw');
    assert.equal(table.get('alice')?.encoded, alice);
  });

  it('reads an empty file as no users', () => {
    assert.equal(parsePasswordFile('', 'users.pw').size, 0);
  });

  const broken: Array<[string, string, number, RegExp]> = [
    ['a line without a colon', `alice:${alice}\nbob\n`, 2, /expected 'username:password-hash'/],
    ['an empty user name', `:${alice}\n`, 1, /empty user name/],
    ['an empty hash', `# c\nalice:\n`, 2, /empty password hash for user 'alice'/],
    ['a plain-text password', `alice:secret\n`, 1, /user 'alice': not a \$6\$ or \$7\$/],
    ['a truncated hash', `alice:${alice.slice(0, -10)}\n`, 1, /user 'alice'/],
    ['a duplicated user', `alice:${alice}\n\nalice:${bob}\n`, 3, /already defined on line 1/],
  ];
  for (const [what, text, line, message] of broken) {
    it(`names the file and line of ${what}`, () => expectLineError(text, line, message));
  }

  it('says which file could not be read', async (t) => {
    const dir = await tempDir(t);
    const missing = join(dir, 'missing.pw');
    await assert.rejects(loadPasswordFile(missing), (err: unknown) => {
      assert.ok(err instanceof AuthFileError);
      assert.equal(err.line, undefined);
      assert.match(err.message, new RegExp(`^${missing}: cannot read password file: ENOENT`));
      return true;
    });
    const present = join(dir, 'users.pw');
    await writeFile(present, `alice:${alice}\n`);
    assert.equal((await loadPasswordFile(present)).size, 1);
  });
});
