/**
 * `-V` takes the same spellings in every tool that has it (pub, sub, rr and bench):
 * mosquitto's, the version numbers and the protocol levels.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { parseProtocolVersion } from '../../src/cli/mqtt-tools/flag-parsers.js';
import { runBench } from '../bench/cli.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { runCli } from './run-cli.js';

const spellings: Record<3 | 4 | 5, string[]> = {
  3: ['31', '3.1', '3', 'mqttv31', 'MQTTv31', 'mqttv3.1'],
  4: ['311', '3.1.1', '4', 'mqttv311', 'MQTTV311', 'mqttv3.1.1'],
  5: ['5', '5.0', 'mqttv5', 'MQTTv5'],
};

describe('-V spellings', () => {
  test('every spelling names its protocol level, whatever its case', () => {
    for (const [level, names] of Object.entries(spellings)) {
      for (const name of names) assert.equal(parseProtocolVersion(name), Number(level), name);
    }
  });

  test('anything else is refused with the list of spellings', () => {
    for (const bad of ['6', '2', '3.2', 'mqttv4', '', 'v']) {
      assert.throws(() => parseProtocolVersion(bad), (e: unknown) => e instanceof InvalidArgumentError && /3\.1\.1 or 5/.test(e.message), bad);
    }
  });
});

describe('-V reaches the CONNECT of every tool', () => {
  let midge: InProcessMidge;
  let conn: string[];
  before(async () => {
    midge = await startMidge();
    conn = ['-h', '127.0.0.1', '-p', String(midge.port)];
  });
  after(() => midge.stop());

  for (const [spelling, level] of [['3.1.1', 4], ['3.1', 3], ['mqttv5', 5]] as const) {
    test(`pub, sub and rr connect at level ${level} with -V ${spelling}`, async () => {
      const tools = [['pub', '-t', 'v/a', '-m', 'x'], ['sub', '-t', 'v/a', '-E'], ...(level === 5 ? [['rr', '-t', 'v/a', '-e', 'v/b', '-m', 'x', '-W', '1']] : [])];
      for (const tool of tools) {
        const result = await runCli([...tool, ...conn, '-d', '-V', spelling]);
        assert.match(result.stderr, new RegExp(`sending CONNECT \\(p${level},`), `${tool[0]}: ${result.stderr}`);
      }
    });
  }

  test('bench connects with mosquitto\'s spelling mqttv311 and with the level 4', async () => {
    for (const spelling of ['mqttv311', '4']) {
      const { code, summary } = await runBench(['conn', ...conn, '-c', '2', '-d', '0.2', '-V', spelling]);
      assert.equal(code, 0, JSON.stringify(summary.problems));
      assert.equal(summary.settings.protocolVersion, 4);
      assert.equal(summary.connections.connected, 2);
    }
  });
});
