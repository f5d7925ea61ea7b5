import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  hashPassword,
  isPasswordHash,
  parsePasswordHash,
  verifyPassword,
} from '../../src/auth/index.js';

const salt = Buffer.from('0123456789ab');

describe('password hashes', () => {
  it('writes $7$ as PBKDF2-HMAC-SHA512 over the password with a 12-byte salt and 64-byte output', async () => {
    const hashed = await hashPassword('secret', { iterations: 1000, salt });
    const expected = pbkdf2Sync('secret', salt, 1000, 64, 'sha512');
    assert.equal(hashed.encoded, `$7$1000$${salt.toString('base64')}$${expected.toString('base64')}`);
  });

  it('writes $6$ as SHA-512 of the password followed by the salt', async () => {
    const hashed = await hashPassword('secret', { kind: 'sha512', salt });
    const expected = createHash('sha512').update('secret').update(salt).digest();
    assert.equal(hashed.encoded, `$6$${salt.toString('base64')}$${expected.toString('base64')}`);
  });

  it('uses 210,000 iterations and a random salt by default', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.equal(DEFAULT_PBKDF2_ITERATIONS, 210_000);
    assert.equal(a.iterations, 210_000);
    assert.match(a.encoded, /^\$7\$210000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    assert.notEqual(a.salt.toString('hex'), b.salt.toString('hex'));
  });

  it('verifies what it hashed and rejects any other password', async () => {
    for (const kind of ['sha512', 'sha512-pbkdf2'] as const) {
      const stored = parsePasswordHash((await hashPassword('right', { kind, iterations: 100 })).encoded);
      assert.equal(await verifyPassword(Buffer.from('right'), stored), true, kind);
      assert.equal(await verifyPassword(Buffer.from('wrong'), stored), false, kind);
      assert.equal(await verifyPassword(Buffer.from(''), stored), false, kind);
    }
  });

  it('does not stop at a NUL byte the way Mosquitto does', async () => {
    const stored = await hashPassword('abc', { iterations: 10 });
    assert.equal(await verifyPassword(Buffer.from('abc\u0000xyz'), stored), false);
  });

  const malformed: Array<[string, string, RegExp]> = [
    ['plain text', 'secret', /not a \$6\$ or \$7\$/],
    ['an unknown scheme', '$5$abc$def', /unsupported/],
    ['a $7$ without iterations', `$7$${salt.toString('base64')}$${'A'.repeat(86)}==`, /unsupported|iteration/],
    ['zero iterations', `$7$0$${salt.toString('base64')}$${'A'.repeat(86)}==`, /iteration count/],
    ['iterations with trailing junk', `$7$101x$${salt.toString('base64')}$${'A'.repeat(86)}==`, /iteration count/],
    ['iterations beyond a C int', `$7$2147483648$${salt.toString('base64')}$${'A'.repeat(86)}==`, /larger than/],
    ['a short salt', `$6$${Buffer.alloc(8).toString('base64')}$${'A'.repeat(86)}==`, /salt must be 12 bytes/],
    ['a short hash', `$6$${salt.toString('base64')}$${Buffer.alloc(32).toString('base64')}`, /hash must be 64 bytes/],
    ['invalid base64', `$6$${salt.toString('base64')}$${'*'.repeat(86)}==`, /not valid base64/],
    ['an extra field', `$6$${salt.toString('base64')}$${'A'.repeat(86)}==$x`, /unsupported/],
  ];
  for (const [what, text, message] of malformed) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parsePasswordHash(text), message);
      assert.equal(isPasswordHash(text), false);
    });
  }

  it('refuses to hash with an iteration count Mosquitto could not read', async () => {
    await assert.rejects(hashPassword('x', { iterations: 0 }), RangeError);
    await assert.rejects(hashPassword('x', { iterations: 2 ** 31 }), RangeError);
  });
});
