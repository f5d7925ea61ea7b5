import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthFileError, parseAclFile } from '../../src/auth/index.js';

describe('ACL file syntax', () => {
  it('reads sections, patterns, access types and the readwrite default', () => {
    const acl = parseAclFile(
      [
        '# comment',
        'topic read public/#',
        '',
        'user alice',
        'topic alice/#',
        'topic deny alice/private',
        'pattern write devices/%c/out',
        'user  bob ',
        'topic write bob/in',
        'user alice',
        'topic read more/alice',
      ].join('\r\n'),
      'acl',
    );
    assert.deepEqual(acl.anonymous, [{ access: 'read', filter: 'public/#', lineNumber: 2 }]);
    assert.deepEqual([...acl.users.keys()], ['alice', 'bob']);
    assert.deepEqual(acl.users.get('alice')?.map((rule) => [rule.access, rule.filter]), [
      ['readwrite', 'alice/#'],
      ['deny', 'alice/private'],
      ['read', 'more/alice'],
    ]);
    assert.deepEqual(acl.users.get('bob')?.map((rule) => [rule.access, rule.filter]), [['write', 'bob/in']]);
    assert.deepEqual(acl.patterns, [{ access: 'write', filter: 'devices/%c/out', lineNumber: 7 }]);
  });

  it('takes the rest of the line as the filter, spaces included, as Mosquitto does', () => {
    const acl = parseAclFile('topic read a b/c\n', 'acl');
    assert.equal(acl.anonymous[0]?.filter, 'a b/c');
  });

  it('reads an empty file as no rules at all', () => {
    assert.deepEqual(parseAclFile('', 'acl'), { anonymous: [], users: new Map(), patterns: [] });
  });

  const broken: Array<[string, string, number, RegExp]> = [
    ['an unknown access type', 'topic maybe a/b', 1, /invalid access type 'maybe'/],
    ['a filter with # inside', '# ok\ntopic read a/#/b', 2, /invalid topic filter 'a\/#\/b'/],
    ['a filter with + inside a level', 'pattern read a/b+', 1, /'\+' must be the whole of its level/],
    ['a topic line without a filter', 'topic', 1, /'topic' needs a topic filter/],
    ['a user line without a name', '\nuser   ', 2, /'user' needs a user name/],
    ['an unknown keyword', 'topic a\nallow a/b', 2, /unknown keyword 'allow'/],
    ['a comment after a rule', 'topic read a/b # note', 1, /invalid topic filter/],
  ];
  for (const [what, text, line, message] of broken) {
    it(`names the file and line of ${what}`, () => {
      assert.throws(
        () => parseAclFile(text, '/etc/midge/acl'),
        (err: unknown) => {
          assert.ok(err instanceof AuthFileError);
          assert.equal(err.line, line);
          assert.match(err.message, new RegExp(`^/etc/midge/acl:${line}: `));
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
