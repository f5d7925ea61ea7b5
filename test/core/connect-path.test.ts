/**
 * The CONNECT path without promises where none is needed (issue 19): authenticator chains
 * that decide at once, the login backoff around them, and the end of a connection whose
 * client sent DISCONNECT but never closes its side.
 */
import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AccessControl } from '../../src/broker/access-control.js';
import { LoginBackoff } from '../../src/broker/login-backoff.js';
import { isThenable } from '../../src/broker/thenable.js';
import { resolveBrokerOptions } from '../../src/broker/options.js';
import { silentLogger, type AuthenticationResult, type Authenticator, type ConnectionInfo } from '../../src/broker/index.js';
import { PacketType, ReasonCode, encodePacket } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { connectPacket } from '../helpers/raw-client.js';

const info: ConnectionInfo = {
  listener: 'test', transport: 'tcp', remoteAddress: '192.0.2.7', remotePort: 1, encrypted: false, confidential: false, certificate: undefined, security: undefined,
};
const credentials = { clientId: 'c', protocolVersion: 4 as const, listener: 'test', remoteAddress: '192.0.2.7' };

/** An authenticator that answers `result`, at once or a turn later. */
function answering(result: AuthenticationResult, later = false): Authenticator {
  return { name: later ? 'later' : 'at-once', authenticate: () => (later ? new Promise((resolve) => setImmediate(() => resolve(result))) : result) };
}

const allow = (username?: string): AuthenticationResult => (username === undefined ? { outcome: 'allow' } : { outcome: 'allow', username });
const deny: AuthenticationResult = { outcome: 'deny', reasonCode: ReasonCode.NotAuthorized, reason: 'no' };
const ignore: AuthenticationResult = { outcome: 'ignore' };
const badPassword: AuthenticationResult = { outcome: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reason: 'bad password' };

function accessWith(authenticators: Authenticator[]): AccessControl {
  return new AccessControl(resolveBrokerOptions({ authenticators }), silentLogger);
}

describe('authentication that decides at once', () => {
  it('admits a client at once, without a promise, when every authenticator decides at once', () => {
    const decision = accessWith([answering(ignore), answering(allow('ann'))]).authenticate(credentials, info);
    assert.equal(isThenable(decision), false);
    assert.deepEqual(decision, allow('ann'));
  });

  it('lets the first deny win and the first allow name the user across authenticators that answer at once and later', async () => {
    const cases: Array<[Authenticator[], AuthenticationResult]> = [
      [[answering(ignore), answering(allow('later'), true), answering(allow('second'))], allow('later')],
      [[answering(allow('first')), answering(deny, true)], deny],
      [[answering(allow('first'), true), answering(deny)], deny],
      [[answering(ignore, true), answering(ignore)], { outcome: 'deny', reasonCode: ReasonCode.NotAuthorized, reason: 'no authenticator admitted the client' }],
    ];
    for (const [chain, expected] of cases) {
      const decision = accessWith(chain).authenticate(credentials, info);
      assert.equal(isThenable(decision), true, 'a chain with an authenticator that waits answers later');
      assert.deepEqual(await decision, expected);
    }
  });

  it('makes a source whose logins are refused at once wait after its free failures, as one whose checks take time', async () => {
    for (const later of [false, true]) {
      const backoff = new LoginBackoff({ freeFailures: 3, baseMs: 60_000 });
      let checks = 0;
      const check = () => {
        checks++;
        return later ? Promise.resolve(badPassword) : badPassword;
      };
      for (let i = 0; i < 4; i++) assert.deepEqual(await backoff.guard('192.0.2.7', check), badPassword);
      const refused = await backoff.guard('192.0.2.7', check);
      assert.equal(refused.outcome === 'deny' && refused.reasonCode, ReasonCode.ServerBusy, `later: ${later}`);
      assert.equal(checks, 4, 'the refused attempt was not checked');
      // Another source is not held back by this one.
      assert.deepEqual(await backoff.guard('192.0.2.8', () => allow()), allow());
    }
  });

  it('bounds the checks one source has waiting, the first of them included, and frees the bound as they settle', async () => {
    const backoff = new LoginBackoff({ maxPending: 2 });
    const waiting: Array<(r: AuthenticationResult) => void> = [];
    const slow = () => new Promise<AuthenticationResult>((resolve) => waiting.push(resolve));
    const first = backoff.guard('192.0.2.7', slow);
    const second = backoff.guard('192.0.2.7', slow);
    const third = backoff.guard('192.0.2.7', slow);
    assert.equal(isThenable(third), false);
    assert.equal((third as AuthenticationResult).outcome === 'deny' && (third as { reasonCode: number }).reasonCode, ReasonCode.ServerBusy);
    assert.equal(waiting.length, 2);
    for (const resolve of waiting) resolve(allow());
    await Promise.all([first, second]);
    assert.deepEqual(backoff.guard('192.0.2.7', () => allow()), allow());
  });
});

describe('the end of a connection', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge();
  });
  after(() => midge.stop());

  it('closes the socket of a client that sent DISCONNECT but never closes its side, within a few seconds', async () => {
    // allowHalfOpen: this client leaves its side open after the broker's FIN.
    const socket = connectTcp({ port: midge.port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(encodePacket(connectPacket({ clientId: 'half-open' }), 4));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.write(encodePacket({ type: PacketType.DISCONNECT }, 4));
    await ended;
    // Once the broker has let the socket go, the next bytes are answered with a reset.
    const reset = await new Promise<boolean>((resolve) => {
      const poke = setInterval(() => socket.write(Buffer.from([0xc0, 0x00])), 200);
      const give = setTimeout(() => done(false), 5000);
      const done = (value: boolean) => {
        clearInterval(poke);
        clearTimeout(give);
        socket.destroy();
        resolve(value);
      };
      socket.once('error', () => done(true));
    });
    assert.equal(reset, true, 'the broker still held the half-open socket after 5 s');
  });
});
