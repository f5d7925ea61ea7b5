import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AuthenticationResult, ConnectCredentials } from '../../src/broker/ports/auth.js';
import {
  AuthFileError,
  CertificateIdentityAuthenticator,
  PasswordFileAuthenticator,
  hashPassword,
  type PasswordFileAuthenticatorOptions,
} from '../../src/auth/index.js';
import { tempDir } from './fixtures.js';

const ITERATIONS = 1_000;

async function passwordFile(dir: string, users: Record<string, string>, kind: 'sha512' | 'sha512-pbkdf2' = 'sha512-pbkdf2'): Promise<string> {
  const path = join(dir, 'users.pw');
  const lines = await Promise.all(
    Object.entries(users).map(async ([user, password]) => `${user}:${(await hashPassword(password, { kind, iterations: ITERATIONS })).encoded}\n`),
  );
  await writeFile(path, `# test users\n${lines.join('')}`);
  return path;
}

function connect(overrides: Partial<ConnectCredentials>): ConnectCredentials {
  return { clientId: 'c1', protocolVersion: 5, listener: 'plain', remoteAddress: '127.0.0.1', ...overrides };
}

const pw = (text: string): Buffer => Buffer.from(text);
const allowed: AuthenticationResult = { outcome: 'allow' };
const notAuthorized = { outcome: 'deny', reasonCode: 0x87 };
const badCredentials = { outcome: 'deny', reasonCode: 0x86 };

function outcomeOf(result: AuthenticationResult): object {
  return result.outcome === 'deny' ? { outcome: result.outcome, reasonCode: result.reasonCode } : result;
}

describe('PasswordFileAuthenticator', () => {
  const listeners: PasswordFileAuthenticatorOptions['listeners'] = {
    open: { allowAnonymous: true },
    'tls-cn': { certificateIdentity: 'common-name' },
    'tls-subject': { certificateIdentity: 'subject' },
  };
  const certificate = { subject: 'CN=sensor-1,O=Acme', commonName: 'sensor-1' };

  const cases: Array<[string, Partial<ConnectCredentials>, object, Partial<PasswordFileAuthenticatorOptions>?]> = [
    ['admits a listed user with the right password', { username: 'alice', password: pw('secret') }, allowed],
    ['refuses a wrong password with 0x86 Bad User Name or Password', { username: 'alice', password: pw('nope') }, badCredentials],
    ['refuses a user name without a password with 0x86', { username: 'alice' }, badCredentials],
    ['refuses an unknown user with 0x86, the same answer as a wrong password', { username: 'mallory', password: pw('secret') }, badCredentials],
    ['leaves an unknown user to the next authenticator when asked to', { username: 'mallory', password: pw('x') }, { outcome: 'ignore' }, { unknownUser: 'ignore' }],
    ['treats an empty user name as a user name, not as anonymous', { username: '', password: pw('secret') }, badCredentials, { allowAnonymous: true }],
    ['refuses anonymous clients with 0x87 by default', {}, notAuthorized],
    ['admits anonymous clients when allowed', {}, allowed, { allowAnonymous: true }],
    ['admits anonymous clients on a listener that allows them', { listener: 'open' }, allowed],
    ['still checks passwords on a listener that allows anonymous clients', { listener: 'open', username: 'alice', password: pw('nope') }, badCredentials],
    ['refuses a password with a trailing NUL and more', { username: 'alice', password: pw('secret\u0000more') }, badCredentials],
    ['takes the user name from the certificate CN on a use_identity_as_username listener', { listener: 'tls-cn', certificate }, { outcome: 'allow', username: 'sensor-1' }],
    ['ignores the CONNECT credentials when the certificate names the user', { listener: 'tls-cn', certificate, username: 'alice', password: pw('nope') }, { outcome: 'allow', username: 'sensor-1' }],
    ['takes the RFC 2253 subject on a use_subject_as_username listener', { listener: 'tls-subject', certificate }, { outcome: 'allow', username: 'CN=sensor-1,O=Acme' }],
    ['refuses a client without a certificate on such a listener with 0x86', { listener: 'tls-cn', username: 'alice', password: pw('secret') }, badCredentials],
    ['refuses a certificate without a CN with 0x86', { listener: 'tls-cn', certificate: { subject: 'O=Acme' } }, badCredentials],
    ['refuses a CN with an embedded NUL with 0x86', { listener: 'tls-cn', certificate: { subject: 'x', commonName: 'admin\u0000.evil' } }, badCredentials],
    ['takes the user name from the certificate when set for the whole authenticator', { certificate }, { outcome: 'allow', username: 'sensor-1' }, { certificateIdentity: 'common-name' }],
    ['lets a listener override the certificate setting of the authenticator', { listener: 'tls-subject', certificate }, { outcome: 'allow', username: 'CN=sensor-1,O=Acme' }, { certificateIdentity: 'common-name' }],
  ];

  for (const [name, credentials, expected, extra] of cases) {
    it(name, async (t) => {
      const path = await passwordFile(await tempDir(t), { alice: 'secret', bob: 'hunter2' });
      const auth = await PasswordFileAuthenticator.open({ path, listeners, ...extra });
      assert.deepEqual(outcomeOf(await auth.authenticate(connect(credentials))), expected);
    });
  }

  it('authenticates by certificate alone where there is no password file', () => {
    const auth = new CertificateIdentityAuthenticator('common-name');
    assert.deepEqual(auth.authenticate(connect({ certificate })), { outcome: 'allow', username: 'sensor-1' });
    assert.deepEqual(outcomeOf(auth.authenticate(connect({ username: 'alice', password: pw('secret') }))), badCredentials);
  });

  it('verifies $6$ entries too', async (t) => {
    const path = await passwordFile(await tempDir(t), { carol: 'pa55' }, 'sha512');
    const auth = await PasswordFileAuthenticator.open({ path });
    assert.deepEqual(await auth.authenticate(connect({ username: 'carol', password: pw('pa55') })), allowed);
    assert.deepEqual(outcomeOf(await auth.authenticate(connect({ username: 'carol', password: pw('pa56') }))), badCredentials);
  });

  it('computes a PBKDF2 hash once for repeated successful logins of a user', async (t) => {
    const path = await passwordFile(await tempDir(t), { alice: 'secret' });
    const auth = await PasswordFileAuthenticator.open({ path });
    for (let i = 0; i < 3; i++) assert.deepEqual(await auth.authenticate(connect({ username: 'alice', password: pw('secret') })), allowed);
    assert.deepEqual(auth.stats, { hashesComputed: 1, cacheHits: 2 });
  });

  it('shares one computation among simultaneous logins with the same credentials', async (t) => {
    const path = await passwordFile(await tempDir(t), { alice: 'secret' });
    const auth = await PasswordFileAuthenticator.open({ path });
    const results = await Promise.all(Array.from({ length: 5 }, () => auth.authenticate(connect({ username: 'alice', password: pw('secret') }))));
    assert.deepEqual(results, Array(5).fill(allowed));
    assert.equal(auth.stats.hashesComputed, 1);
  });

  it('never caches a failed login', async (t) => {
    const path = await passwordFile(await tempDir(t), { alice: 'secret' });
    const auth = await PasswordFileAuthenticator.open({ path });
    for (let i = 0; i < 2; i++) assert.deepEqual(outcomeOf(await auth.authenticate(connect({ username: 'alice', password: pw('guess') }))), badCredentials);
    assert.deepEqual(auth.stats, { hashesComputed: 2, cacheHits: 0 });
  });

  it('spends a hash on an unknown user so that it answers like a known one', async (t) => {
    const path = await passwordFile(await tempDir(t), { alice: 'secret' });
    const auth = await PasswordFileAuthenticator.open({ path });
    await auth.authenticate(connect({ username: 'nobody', password: pw('x') }));
    assert.equal(auth.stats.hashesComputed, 1);
  });

  it('stops serving a cached login once a reload changed the password', async (t) => {
    const dir = await tempDir(t);
    const path = await passwordFile(dir, { alice: 'old' });
    const auth = await PasswordFileAuthenticator.open({ path });
    assert.deepEqual(await auth.authenticate(connect({ username: 'alice', password: pw('old') })), allowed);
    await passwordFile(dir, { alice: 'new' });
    await auth.reload();
    assert.deepEqual(outcomeOf(await auth.authenticate(connect({ username: 'alice', password: pw('old') }))), badCredentials);
    assert.deepEqual(await auth.authenticate(connect({ username: 'alice', password: pw('new') })), allowed);
  });

  it('keeps the users it had when a reload finds a broken file, and says where it is broken', async (t) => {
    const dir = await tempDir(t);
    const path = await passwordFile(dir, { alice: 'secret' });
    const auth = await PasswordFileAuthenticator.open({ path });
    await writeFile(path, 'alice:$7$1000$broken\n');
    await assert.rejects(auth.reload(), (err: unknown) => err instanceof AuthFileError && err.line === 1 && err.file === path);
    assert.equal(auth.userCount, 1);
    assert.deepEqual(await auth.authenticate(connect({ username: 'alice', password: pw('secret') })), allowed);
  });

  it('refuses to start on a broken password file', async (t) => {
    const path = join(await tempDir(t), 'users.pw');
    await writeFile(path, 'alice secret\n');
    await assert.rejects(PasswordFileAuthenticator.open({ path }), /users\.pw:1: expected 'username:password-hash'/);
  });
});
