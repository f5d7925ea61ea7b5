/**
 * examples/: every program type-checks against the built package (`midge` and
 * `midge/client` resolve to dist/ as they would for a user), and each runs against
 * a real broker and prints what its comments promise.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { MqttClient } from '../../src/client/index.js';
import { ROOT, startMidge, type InProcessMidge } from '../helpers/midge.js';
import { freePort, waitForPort } from '../helpers/ports.js';

const EXAMPLES = join(ROOT, 'examples');

/** A running example: its output so far, and a bounded wait for its exit. */
interface ExampleRun {
  output(): string;
  waitFor(text: string): Promise<void>;
  exited(): Promise<number | null>;
  signal(name: NodeJS.Signals): void;
}

/** Runs `node --import tsx examples/NAME.ts ARGS` with `env` added. */
function runExample(name: string, args: string[], env: NodeJS.ProcessEnv): ExampleRun {
  const child = spawn(process.execPath, ['--import', 'tsx', join(EXAMPLES, name), ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const bounded = <T>(p: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name}: ${what} within 20 s; output:\n${out}`));
      }, 20_000);
    });
    return Promise.race([p, limit]).finally(() => clearTimeout(timer));
  };
  return {
    output: () => out,
    waitFor: (text) => bounded(new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (out.includes(text)) resolve();
        else if (child.exitCode !== null) reject(new Error(`${name} exited before printing '${text}':\n${out}`));
        else setTimeout(check, 25);
      };
      check();
    }), `'${text}' did not appear`),
    exited: () => bounded(closed, 'it did not exit'),
    signal: (signal) => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, signal);
    },
  };
}

describe('examples/', () => {
  test('every example type-checks against the built package', () => {
    assert.ok(existsSync(join(ROOT, 'dist/index.js')), 'build first: npx tsc -p tsconfig.build.json');
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')).map((f) => join(EXAMPLES, f));
    assert.ok(files.length >= 5, `examples: ${files.join(', ')}`);
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
    const program = ts.createProgram(files, { ...config.options, noEmit: true, incremental: false });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${d.file.fileName})` : ''));
    assert.deepEqual(problems, []);
  });

  describe('against a broker', () => {
    let midge: InProcessMidge;
    let env: NodeJS.ProcessEnv;
    before(async () => {
      midge = await startMidge({ broker: { responseInformationPrefix: 'response/' } });
      env = { MQTT_URL: `mqtt://127.0.0.1:${midge.port}` };
    });
    after(() => midge.stop());

    test('request-response.ts sends two requests at once and prints each answer by its correlation data', async () => {
      const run = runExample('request-response.ts', [], env);
      assert.equal(await run.exited(), 0, run.output());
      assert.equal(run.output(), '2 + 3 = 5\n40 + 2 = 42\n');
    });

    test('the dashboard prints what the sensor publishes, the sensor\'s status last known first', async () => {
      const retained = new MqttClient(env.MQTT_URL!, { reconnect: false });
      await retained.connect();
      await retained.publish('sensors/sensor-0/status', 'offline', { qos: 1, retain: true });
      await retained.end();
      const dashboard = runExample('dashboard-subscriber.ts', [], env);
      await dashboard.waitFor('sensor-0 status: offline (retained: last known value)');
      const sensor = runExample('sensor-publisher.ts', ['sensor-9', '1'], env);
      assert.equal(await sensor.exited(), 0, sensor.output());
      assert.match(sensor.output(), /^sensor-9: published \d+\.\d\n$/);
      const reading = sensor.output().split(' ').at(-1)!.trim();
      await dashboard.waitFor('sensor-9 status: offline\n');
      dashboard.signal('SIGINT');
      assert.equal(await dashboard.exited(), 0);
      assert.ok(dashboard.output().includes(`sensor-9 status: online\nsensor-9 temperature: ${reading}\nsensor-9 status: offline\n`), dashboard.output());
    });
  });

  test('embedded-broker.ts starts a broker in process, its client gets its own message, and it closes', async () => {
    const run = runExample('embedded-broker.ts', [], { PORT: '0' });
    assert.equal(await run.exited(), 0, run.output());
    assert.match(run.output(), /^broker listening on 127\.0\.0\.1:\d+\nhook: in-process-client connected\nhook: app\/hello went to 1 subscriber\(s\)\nclient got app\/hello: from inside the application\nbroker closed\n$/);
  });

  test('embedded-from-config.ts runs the listeners of a configuration file and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-example-'));
    try {
      const port = await freePort();
      const file = join(dir, 'midge.conf');
      writeFileSync(file, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 0\n`);
      const run = runExample('embedded-from-config.ts', [file], {});
      await run.waitFor(`listening: mqtt:${port} on 127.0.0.1:${port}`);
      await waitForPort(port);
      const client = new MqttClient(`mqtt://127.0.0.1:${port}`, { reconnect: false });
      const info = await client.connect();
      await client.end();
      assert.equal(info.reasonCode, 0);
      run.signal('SIGTERM');
      assert.equal(await run.exited(), 0, run.output());
      assert.ok(run.output().endsWith('stopped\n'), run.output());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
