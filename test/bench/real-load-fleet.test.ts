import { after, before, describe, it } from 'node:test';
import { RealLoadBench } from './real-load.js';

/**
 * Smoke tests of the WebSocket, fleet and reconnect-storm scenarios issue 19 added to
 * `npm run bench`, at tiny sizes (100 devices): each runs against midge, verifies its
 * messages (the storm: every queued command arrives, every session is back) and reports
 * every figure.
 */
describe('the WebSocket, fleet and reconnect-storm scenarios of npm run bench', () => {
  const bench = new RealLoadBench();
  before(() => bench.start());
  after(() => bench.stop());

  for (const name of ['ws-fanin', 'fleet', 'reconnect-storm']) {
    it(`runs ${name} against midge, loses nothing and reports every figure`, () => bench.runAgainstMidge(name));
  }
});
