/** The SIGINT/SIGTERM handler of `midge broker`, driven with a close that the test controls. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../src/broker/index.js';
import { shutdownOnSignal, type ShutdownControl } from '../../src/cli/shutdown-signals.js';

/** A control whose close resolves when the test says, recording exits and log lines. */
function controlled(timeoutMs = 60_000) {
  const exits: number[] = [];
  const lines: string[] = [];
  let finish: (err?: Error) => void = () => {};
  const logger: Logger = {
    error: (_f, m) => lines.push(`error ${m}`), warn: (_f, m) => lines.push(`warn ${m}`),
    info: (_f, m) => lines.push(`info ${m}`), debug: () => {},
  };
  const control: ShutdownControl = {
    close: () => new Promise<void>((resolve, reject) => { finish = (err) => (err ? reject(err) : resolve()); }),
    exit: (code) => exits.push(code),
    logger,
    timeoutMs,
  };
  return { control, exits, lines, finish: (err?: Error) => finish(err) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('shutting down on a signal', () => {
  it('the first signal closes gracefully and exits 0 once the close is done', async () => {
    const c = controlled();
    const stop = shutdownOnSignal(c.control);
    stop('SIGTERM');
    await settle();
    assert.deepEqual(c.exits, []);
    c.finish();
    await settle();
    assert.deepEqual(c.exits, [0]);
    assert.deepEqual(c.lines, ['info shutting down']);
  });

  it('a second signal while the first shutdown still waits exits 1 at once, and says why', async () => {
    const c = controlled();
    const stop = shutdownOnSignal(c.control);
    stop('SIGTERM');
    await settle();
    stop('SIGINT');
    assert.deepEqual(c.exits, [1]);
    assert.match(c.lines.at(-1)!, /^warn second signal while shutting down: exiting now/);
    c.finish(); // lets the first shutdown's timer go
  });

  it('a shutdown that outlasts its time limit exits 1 with an error line', async () => {
    const c = controlled(5);
    shutdownOnSignal(c.control)('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(c.exits, [1]);
    assert.match(c.lines.at(-1)!, /^error shutdown took too long/);
  });

  it('a close that fails exits 1 with an error line', async () => {
    const c = controlled();
    shutdownOnSignal(c.control)('SIGTERM');
    c.finish(new Error('disk gone'));
    await settle();
    assert.deepEqual(c.exits, [1]);
    assert.equal(c.lines.at(-1), 'error shutdown failed');
  });
});
