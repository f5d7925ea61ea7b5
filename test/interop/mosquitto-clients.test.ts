import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, it, type TestContext } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { CLI, spawnMidge, type SpawnedMidge } from '../helpers/midge.js';

const run = promisify(execFile);
const PUB = '/usr/bin/mosquitto_pub';
const SUB = '/usr/bin/mosquitto_sub';
/** Line-buffers mosquitto_sub's stdout, so the test sees its SUBACK as it happens (stdbuf execs it: same pid). */
const STDBUF = '/usr/bin/stdbuf';
/** One line per message: topic|qos|retain|payload. */
const FORMAT = '%t|%q|%r|%p';

interface Line { topic: string; qos: number; retain: boolean; payload: string }

/** A running mosquitto_sub (debug on, so the test can see its SUBACK) that exits by itself. */
interface Sub {
  child: ChildProcess;
  /** Resolves once the broker has acknowledged the subscription. */
  subscribed: Promise<void>;
  /** Resolves with the messages printed when the process exits. */
  done: Promise<Line[]>;
}

function startSub(port: number, args: string[]): Sub {
  const child = spawn(STDBUF, ['-oL', SUB, '-h', '127.0.0.1', '-p', String(port), '-d', '-F', FORMAT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let onSuback: () => void = () => {};
  const subscribed = new Promise<void>((resolve, reject) => {
    onSuback = resolve;
    child.once('exit', () => reject(new Error(`mosquitto_sub exited before SUBACK: ${out}`)));
  });
  subscribed.catch(() => {});
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('received SUBACK')) onSuback();
  });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  // A bound on the process whatever happens: -W ends it sooner in every test.
  const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const done = new Promise<Line[]>((resolve) => child.once('exit', () => {
    clearTimeout(guard);
    resolve(parseLines(out));
  }));
  return { child, subscribed, done };
}

function parseLines(out: string): Line[] {
  return out.split('\n').filter((l) => /^[^ ]+\|[0-2]\|[01]\|/.test(l)).map((l) => {
    const [topic, qos, retain, ...rest] = l.split('|');
    return { topic: topic!, qos: Number(qos), retain: retain === '1', payload: rest.join('|') };
  });
}

function pub(port: number, args: string[]): Promise<unknown> {
  return run(PUB, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
}

describe('mosquitto_pub and mosquitto_sub against a midge process', () => {
  let midge: SpawnedMidge | undefined;
  before(async () => {
    if (existsSync(CLI)) midge = await spawnMidge();
  });
  after(() => midge?.stop());

  function ready(t: TestContext): SpawnedMidge | undefined {
    if (!requireBinary(t, CLI) || !requireBinary(t, PUB) || !requireBinary(t, SUB) || !requireBinary(t, STDBUF)) return undefined;
    return midge;
  }

  for (const version of ['mqttv311', 'mqttv5']) {
    it(`carries QoS 0, 1 and 2 from mosquitto_pub to mosquitto_sub at the publish QoS over ${version} ${version === 'mqttv5' ? '[MQTT-3.8.4-8]' : '[MQTT-3.8.4-6]'}`, async (t) => {
      const m = ready(t);
      if (!m) return;
      const base = `interop/${version}/qos`;
      const sub = startSub(m.port, ['-V', version, '-q', '2', '-t', `${base}/#`, '-C', '3', '-W', '10']);
      await sub.subscribed;
      for (const qos of [0, 1, 2]) await pub(m.port, ['-V', version, '-q', String(qos), '-t', `${base}/${qos}`, '-m', `at qos ${qos}`]);
      const lines = await sub.done;
      assert.deepEqual(lines.map((l) => [l.topic, l.qos, l.payload]), [0, 1, 2].map((q) => [`${base}/${q}`, q, `at qos ${q}`]));
    });
  }

  it('delivers at the minimum of the publish QoS and the subscription QoS [MQTT-3.8.4-6]', async (t) => {
    const m = ready(t);
    if (!m) return;
    const topic = 'interop/downgrade';
    const sub = startSub(m.port, ['-q', '1', '-t', topic, '-C', '1', '-W', '10']);
    await sub.subscribed;
    await pub(m.port, ['-q', '2', '-t', topic, '-m', 'qos 2 published']);
    assert.deepEqual((await sub.done).map((l) => l.qos), [1]);
  });

  it('stores a retained message, sends it with RETAIN to a later subscriber and clears it with an empty payload [MQTT-3.3.1-5] [MQTT-3.3.1-8] [MQTT-3.3.1-10]', async (t) => {
    const m = ready(t);
    if (!m) return;
    const topic = 'interop/retained';
    await pub(m.port, ['-q', '1', '-r', '-t', topic, '-m', 'last known value']);
    const first = startSub(m.port, ['-q', '1', '-t', topic, '-C', '1', '-W', '10']);
    assert.deepEqual((await first.done).map((l) => [l.payload, l.retain, l.qos]), [['last known value', true, 1]]);
    await pub(m.port, ['-q', '1', '-r', '-t', topic, '-n']);
    // --retained-only exits at the first message without RETAIN: the marker published below.
    const second = startSub(m.port, ['-t', topic, '-t', `${topic}/marker`, '--retained-only', '-W', '10']);
    await second.subscribed;
    await pub(m.port, ['-t', `${topic}/marker`, '-m', 'end']);
    assert.deepEqual(await second.done, [], 'no retained message after the clear');
  });

  it('publishes the will of a mosquitto_sub that is killed, retained when asked [MQTT-3.1.2-8] [MQTT-3.1.2-17]', async (t) => {
    const m = ready(t);
    if (!m) return;
    const topic = 'interop/will';
    const watcher = startSub(m.port, ['-q', '1', '-t', topic, '-C', '1', '-W', '10']);
    await watcher.subscribed;
    const doomed = startSub(m.port, ['-t', 'interop/doomed', '-W', '10',
      '--will-topic', topic, '--will-payload', 'client vanished', '--will-qos', '1', '--will-retain']);
    await doomed.subscribed;
    doomed.child.kill('SIGKILL');
    assert.deepEqual((await watcher.done).map((l) => [l.payload, l.qos, l.retain]), [['client vanished', 1, false]]);
    const later = startSub(m.port, ['-q', '1', '-t', topic, '-C', '1', '-W', '10']);
    assert.deepEqual((await later.done).map((l) => [l.payload, l.retain]), [['client vanished', true]]);
  });

  it('does not publish the will of a mosquitto_sub that ends normally [MQTT-3.1.2-10]', async (t) => {
    const m = ready(t);
    if (!m) return;
    const topic = 'interop/no-will';
    const watcher = startSub(m.port, ['-t', topic, '-t', `${topic}/marker`, '-C', '1', '-W', '10']);
    await watcher.subscribed;
    const polite = startSub(m.port, ['-t', 'interop/polite', '-E', '--will-topic', topic, '--will-payload', 'must not appear']);
    await polite.done;
    await pub(m.port, ['-t', `${topic}/marker`, '-m', 'end']);
    assert.deepEqual((await watcher.done).map((l) => l.topic), [`${topic}/marker`]);
  });
});
