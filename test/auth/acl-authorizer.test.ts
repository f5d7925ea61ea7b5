import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { ClientPrincipal } from '../../src/broker/ports/auth.js';
import { AclFileAuthorizer, AuthFileError, type AclFileAuthorizerOptions } from '../../src/auth/index.js';
import { tempDir } from './fixtures.js';

type Operation = 'publish' | 'subscribe' | 'receive';
/** [who, operation, topic or filter, expected]; who is `clientId` or `clientId@username`. */
type Row = [string, Operation, string, boolean];

function principal(who: string): ClientPrincipal {
  const at = who.indexOf('@');
  return at < 0 ? { clientId: who, listener: 'l1' } : { clientId: who.slice(0, at), username: who.slice(at + 1), listener: 'l1' };
}

function check(acl: AclFileAuthorizer, [who, operation, topic]: Row): boolean {
  const client = principal(who);
  if (operation === 'publish') return acl.canPublish(client, topic, 1, false);
  if (operation === 'subscribe') return acl.canSubscribe(client, topic, 1);
  return acl.canReceive(client, topic);
}

async function aclFrom(t: TestContext, text: string, options: Partial<AclFileAuthorizerOptions> = {}): Promise<{ acl: AclFileAuthorizer; path: string }> {
  const path = join(await tempDir(t), 'acl');
  await writeFile(path, text);
  return { acl: await AclFileAuthorizer.open({ path, ...options }), path };
}

function runTable(title: string, text: string, rows: Row[], options?: Partial<AclFileAuthorizerOptions>): void {
  describe(title, () => {
    for (const row of rows) {
      const [who, operation, topic, expected] = row;
      it(`${expected ? 'lets' : 'does not let'} ${who} ${operation} ${JSON.stringify(topic)}`, async (t) => {
        const { acl } = await aclFrom(t, text, options);
        assert.equal(check(acl, row), expected);
        // The second answer comes from the cache and must agree.
        assert.equal(check(acl, row), expected);
      });
    }
  });
}

const mainAcl = `
# Anonymous clients: only the lines before the first user line.
topic read public/#
topic deny public/secret

user alice
topic readwrite alice/#
topic deny alice/private
topic read shared/+/status
topic readwrite devices/#

user bob
topic write bob/in
topic read $SYS/broker/#

pattern readwrite devices/%c/#
pattern read users/%u/inbox
pattern deny devices/%c/locked
`;

runTable('ACL files: sections, patterns and deny', mainAcl, [
  ['c1', 'receive', 'public/news', true],
  ['c1', 'receive', 'public', true],
  ['c1', 'publish', 'public/news', false],
  ['c1', 'receive', 'public/secret', false],
  ['c1', 'receive', 'alice/x', false],
  ['c1', 'receive', 'devices/c1/temp', true],
  ['c1', 'publish', 'devices/c1/temp', true],
  ['c1', 'receive', 'devices/c2/temp', false],
  ['c1', 'receive', 'devices/c1/locked', false],
  ['c1', 'receive', 'users/c1/inbox', false],
  ['a1@alice', 'receive', 'public/news', false],
  ['a1@alice', 'publish', 'alice/notes', true],
  ['a1@alice', 'receive', 'alice/notes', true],
  ['a1@alice', 'receive', 'alice/private', false],
  ['a1@alice', 'publish', 'alice/private', false],
  ['a1@alice', 'receive', 'shared/x/status', true],
  ['a1@alice', 'publish', 'shared/x/status', false],
  ['a1@alice', 'receive', 'users/alice/inbox', true],
  ['a1@alice', 'receive', 'users/bob/inbox', false],
  ['a1@alice', 'publish', 'devices/other/x', true],
  ['a1@alice', 'publish', 'devices/a1/locked', false],
  ['b1@bob', 'publish', 'bob/in', true],
  ['b1@bob', 'receive', 'bob/in', false],
  ['b1@bob', 'receive', '$SYS/broker/uptime', true],
  ['b1@bob', 'publish', '$SYS/broker/uptime', false],
  ['c9@carol', 'receive', 'devices/c9/x', true],
  ['c9@carol', 'receive', 'public/news', false],
  ['c9@carol', 'receive', 'users/carol/inbox', true],
  ['a1@alice', 'subscribe', 'alice/#', true],
  ['a1@alice', 'subscribe', '#', true],
  ['a1@alice', 'subscribe', 'alice/private', false],
  ['a1@alice', 'subscribe', 'nothing/+', false],
  ['a1@alice', 'subscribe', '$share/g/alice/#', true],
  ['a1@alice', 'subscribe', '$share/g/other', false],
  ['a1@alice', 'subscribe', '$SYS/#', false],
  ['b1@bob', 'subscribe', '$SYS/#', true],
  ['b1@bob', 'subscribe', '#', true],
  ['c1', 'subscribe', 'public/+', true],
  ['c1', 'subscribe', 'public/secret', false],
  ['c1', 'subscribe', 'devices/c1/locked', false],
  ['c1', 'subscribe', 'devices/+/temp', true],
]);

runTable('ACL files: client ids and user names that would widen a pattern', mainAcl + 'pattern readwrite people/%u/#\n', [
  ['+', 'receive', 'devices/x/temp', false],
  ['#', 'receive', 'devices/anything/at/all', false],
  ['a/b', 'receive', 'devices/a/b/temp', false],
  ['+', 'subscribe', 'devices/#', false],
  // A deny pattern that cannot be applied safely denies everything (failing closed).
  ['+', 'receive', 'public/news', false],
  ['x@#', 'receive', 'people/anyone/x', false],
  ['x@+', 'publish', 'people/anyone/x', false],
  ['x@a/b', 'receive', 'people/a/b/c', false],
  ['ok', 'receive', 'devices/ok/temp', true],
  ['x@eve', 'receive', 'people/eve/x', true],
]);

runTable('ACL files: a pattern never reaches $ topics through a client id', 'pattern read %c/#\n', [
  ['$SYS', 'receive', '$SYS/broker/uptime', false],
  ['$SYS', 'subscribe', '$SYS/#', false],
  ['dev', 'receive', 'dev/x', true],
]);

runTable('ACL files: an empty file denies everything', '', [
  ['c1', 'publish', 'a', false],
  ['c1', 'receive', 'a', false],
  ['c1', 'subscribe', '#', false],
  ['u1@alice', 'publish', 'a/b', false],
  ['u1@alice', 'receive', 'a/b', false],
  ['u1@alice', 'subscribe', 'a/+', false],
]);

runTable('ACL files: nobody publishes to $SYS, whatever the file says', 'topic readwrite #\ntopic readwrite $SYS/#\ntopic readwrite $SYSTEM/#\nuser alice\ntopic readwrite $SYS/#\n', [
  ['c1', 'publish', '$SYS/broker/load', false],
  ['c1', 'publish', '$SYS', false],
  ['a1@alice', 'publish', '$SYS/x', false],
  ['c1', 'publish', '$SYSTEM/x', true],
  ['c1', 'receive', '$SYS/broker/load', true],
  ['c1', 'publish', 'ordinary', true],
]);

runTable('ACL files: deny wins over grants, patterns included', 'user alice\ntopic readwrite devices/#\npattern deny devices/%c/locked\npattern readwrite home/%u/#\ntopic deny home/alice/safe\n', [
  ['a1@alice', 'publish', 'devices/a1/locked', false],
  ['a1@alice', 'publish', 'devices/a2/locked', true],
  ['a1@alice', 'receive', 'home/alice/safe', false],
  ['a1@alice', 'receive', 'home/alice/lamp', true],
  ['a1@alice', 'subscribe', 'home/alice/safe', false],
]);

runTable('ACL files: invalid topics are refused rather than matched', 'topic readwrite #\n', [
  ['c1', 'publish', 'a/+', false],
  ['c1', 'publish', '', false],
  ['c1', 'subscribe', 'a/#/b', false],
  ['c1', 'subscribe', 'a/#', true],
]);

runTable('ACL files: Mosquitto 2.0 subscription behaviour on request', '', [
  ['c1', 'subscribe', '#', true],
  ['c1', 'subscribe', 'a/#/b', false],
  ['c1', 'receive', 'a', false],
], { subscriptions: 'grant-all' });

describe('ACL files: reloading', () => {
  it('keeps the old rules when the new file is broken, and applies a good one', async (t) => {
    const { acl, path } = await aclFrom(t, 'topic read a/#\n');
    const client = principal('c1');
    assert.equal(acl.canReceive(client, 'a/1'), true);
    await writeFile(path, 'topic read b/#\ntopic sometimes c\n');
    await assert.rejects(acl.reload(), (err: unknown) => err instanceof AuthFileError && err.line === 2);
    assert.equal(acl.canReceive(client, 'a/1'), true);
    assert.equal(acl.canReceive(client, 'b/1'), false);
    await writeFile(path, 'topic read b/#\n');
    await acl.reload();
    assert.equal(acl.canReceive(client, 'a/1'), false);
    assert.equal(acl.canReceive(client, 'b/1'), true);
  });

  it('changes its version with every reload that takes effect, and not with one that fails', async (t) => {
    const { acl, path } = await aclFrom(t, 'topic read a/#\n');
    const first = acl.version;
    await writeFile(path, 'topic read b/#\n');
    await acl.reload();
    const second = acl.version;
    assert.notEqual(second, first);
    await writeFile(path, 'topic sometimes c\n');
    await assert.rejects(acl.reload());
    assert.equal(acl.version, second, 'the rules in force did not change');
  });

  it('keeps the old rules when the file has disappeared', async (t) => {
    const { acl, path } = await aclFrom(t, 'topic read a/#\n');
    await writeFile(path, '');
    const { rm } = await import('node:fs/promises');
    await rm(path);
    await assert.rejects(acl.reload(), /cannot read ACL file: ENOENT/);
    assert.equal(acl.canReceive(principal('c1'), 'a/1'), true);
  });

  it('follows a principal whose user name changes', async (t) => {
    const { acl } = await aclFrom(t, 'topic read anon/#\nuser alice\ntopic read alice/#\n');
    const client: ClientPrincipal = { clientId: 'c1', listener: 'l1' };
    assert.equal(acl.canReceive(client, 'anon/x'), true);
    client.username = 'alice';
    assert.equal(acl.canReceive(client, 'anon/x'), false);
    assert.equal(acl.canReceive(client, 'alice/x'), true);
  });

  it('stays correct when its caches are far smaller than the work', async (t) => {
    const { acl } = await aclFrom(t, 'pattern read devices/%c/#\n', { ruleSetCacheSize: 2, topicCacheSize: 2 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) {
        const client = principal(`d${i}`);
        for (let j = 0; j < 5; j++) {
          assert.equal(acl.canReceive(client, `devices/d${j}/t`), i === j);
        }
      }
    }
  });
});
