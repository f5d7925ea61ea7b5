import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { runBench } from './cli.js';

/** What a scenario of scripts/bench/scenarios.mjs gives `midge bench`. */
interface Scenario {
  name: string;
  midge(ctx: Record<string, unknown>): string[];
}

/**
 * Smoke tests of the scenarios issue 14 added to `npm run bench`: each runs for a
 * second against midge, and every message it sent arrived, in order, once.
 */
describe('the fanin-16k and burst scenarios of npm run bench', () => {
  let midge: SpawnedMidge;
  let scenarios: Scenario[];
  before(async () => {
    // A path in a variable: the script is plain JavaScript without type declarations.
    const script = new URL('../../scripts/bench/scenarios.mjs', import.meta.url).href;
    scenarios = ((await import(script)) as { scenarios: Scenario[] }).scenarios;
    midge = await spawnMidge({ args: ['--no-persistence'] });
  });
  after(() => midge.stop());

  for (const name of ['fanin-16k', 'burst']) {
    it(`runs ${name} and loses nothing`, async () => {
      const scenario = scenarios.find((s) => s.name === name)!;
      const { code, summary } = await runBench([...scenario.midge({}), '-p', String(midge.port), '-d', '1', '--warmup', '0']);
      assert.equal(code, 0, JSON.stringify({ problems: summary.problems, verification: summary.verification }));
      assert.ok(summary.messages.received > 0, 'messages arrived');
      assert.deepEqual([summary.verification.lost, summary.verification.outOfOrder, summary.verification.duplicates], [0, 0, 0]);
    });
  }
});
