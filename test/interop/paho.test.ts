import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { CLI, spawnMidge, type SpawnedMidge } from '../helpers/midge.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./paho/qos2_round_trip.py', import.meta.url).pathname;

interface RoundTrip {
  granted: number[];
  results: Array<{ rc: number; published: boolean }>;
  received: Array<{ payload: string; qos: number; retain: boolean }>;
}

describe('paho-mqtt (Python, MQTT 3.1.1) against a midge process', () => {
  let midge: SpawnedMidge | undefined;
  before(async () => {
    if (existsSync(CLI)) midge = await spawnMidge();
  });
  after(() => midge?.stop());

  it('completes QoS 2 both ways: paho publishes exactly once and receives each message once, in order [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.6.0-6]', async (t) => {
    if (!requireBinary(t, CLI) || !requireBinary(t, PYTHON)) return;
    const count = 5;
    const { stdout } = await run(PYTHON, [SCRIPT, String(midge!.port), String(count)], { timeout: 30_000 });
    const result = JSON.parse(stdout) as RoundTrip;
    assert.deepEqual(result.granted, [2]);
    assert.deepEqual(result.results, Array.from({ length: count }, () => ({ rc: 0, published: true })));
    assert.deepEqual(result.received, Array.from({ length: count }, (_, i) => ({ payload: `message ${i}`, qos: 2, retain: false })));
  });
});
