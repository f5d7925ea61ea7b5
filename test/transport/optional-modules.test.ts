import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnMidge, type SpawnOptions } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';

/*
 * Which packages a broker process loaded, asked of the real CLI: a preload (NODE_OPTIONS
 * --require) writes the CommonJS module cache when the process exits. Both `yaml` and `ws`
 * are CommonJS, so they land in that cache however they are reached (ESM import or require),
 * and the test process's own modules do not mix in, as they would in an in-process start.
 */
const PRELOAD = `process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.MIDGE_TEST_MODULES_OUT, Object.keys(require.cache).join('\\n'));
});
`;

/** The packages under node_modules a broker started with these options had loaded by its exit. */
async function packagesLoadedBy(dir: string, name: string, options: SpawnOptions): Promise<Set<string>> {
  const out = join(dir, `${name}.modules`);
  const midge = await spawnMidge({
    ...options,
    env: { NODE_OPTIONS: `--require ${join(dir, 'preload.cjs')}`, MIDGE_TEST_MODULES_OUT: out },
  });
  await midge.stop();
  const files = readFileSync(out, 'utf8').split('\n');
  return new Set(files.flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? []));
}

describe('optional packages load only when a broker needs them', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'midge-modules-'));
    writeFileSync(join(dir, 'preload.cjs'), PRELOAD);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a broker started from a mosquitto.conf without a WebSocket listener loads neither yaml nor ws', async () => {
    const loaded = await packagesLoadedBy(dir, 'plain', { config: 'listener {port} 127.0.0.1\nallow_anonymous true\n' });
    // The preload saw the broker's packages at all (commander parses every command line).
    assert.ok(loaded.has('commander'), `expected commander among ${[...loaded].join(', ')}`);
    assert.ok(!loaded.has('yaml'), 'yaml was loaded for a mosquitto.conf');
    assert.ok(!loaded.has('ws'), 'ws was loaded without a WebSocket listener');
  });

  it('a broker started from a YAML config with a WebSocket listener loads yaml and ws', async () => {
    const ws = await freePort();
    const config = `allow_anonymous: true\nlisteners:\n  - port: {port}\n    address: 127.0.0.1\n  - port: ${ws}\n    address: 127.0.0.1\n    protocol: websockets\n`;
    const loaded = await packagesLoadedBy(dir, 'yaml-ws', { config, configName: 'midge.yaml' });
    assert.ok(loaded.has('yaml'), 'yaml was not loaded for a YAML config');
    assert.ok(loaded.has('ws'), 'ws was not loaded for a WebSocket listener');
  });
});
