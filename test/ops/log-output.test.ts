/**
 * What `midge broker` writes and where, as an operator reads it: text lines with
 * mosquitto's wording, readable packet traces, mosquitto's log_dest, log_type,
 * log_timestamp_format and pid_file, log files let go on SIGHUP, and standard error for
 * diagnostics. Real clients (mosquitto_pub/sub) make the traffic; lines are checked by content.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../auth/fixtures.js';
import { writePasswordFile } from '../helpers/admin.js';
import { requireBinary } from '../helpers/external.js';
import { waitUntil } from '../helpers/flows.js';
import { CLI, spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';

const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

function publish(port: number, args: string[]): Promise<unknown> {
  return runProcess(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(port), '-t', 'plant/temp', '-m', '21.5', ...args]);
}

function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

describe('text logs in a file', () => {
  let dir: string;
  let midge: SpawnedMidge;
  let logFile: string;
  let pidFile: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'midge-logs-'));
    logFile = join(dir, 'midge.log');
    pidFile = join(dir, 'run', 'midge.pid');
    const passwords = await writePasswordFile(dir, { alice: 'alice-pw' });
    midge = await spawnMidge({
      config: `listener {port} 127.0.0.1\npassword_file ${passwords}\nallow_anonymous true\npersistence false\nsys_interval 0\n`
        + `log_dest file ${logFile}\nlog_format text\ntrace_clients traced-*\npid_file ${pidFile}\n`,
      args: ['--log-level', 'info'],
    });
  });
  after(async () => {
    await midge.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads as mosquitto does: ISO time, level name, one line per connect and disconnect', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PUB)) return;
    await publish(midge.port, ['-i', 'sensor-1', '-u', 'alice', '-P', 'alice-pw', '-k', '60', '-V', '311']);
    await waitUntil(() => readLog(logFile).includes('Client sensor-1 disconnected.'), 'the disconnect is logged', 5000);
    const lines = readLog(logFile).split('\n');
    const connected = lines.find((l) => l.includes('as sensor-1'));
    assert.match(connected ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}New client connected from 127\.0\.0\.1:\d+ as sensor-1 \(p2, c1, k60, u'alice'\)\.$/);
    assert.match(lines.find((l) => l.includes('Client sensor-1 disconnected')) ?? '', /^\S+ INFO {2}Client sensor-1 disconnected\.$/);
    assert.match(readLog(logFile), new RegExp(`INFO {2}Opening mqtt listen socket on 127\\.0\\.0\\.1:${midge.port} \\(mqtt:${midge.port}\\)\\.`));
    assert.ok(!readLog(logFile).includes('{"level"'), 'no JSON in a text log');
  });

  it('shows a traced client\'s packets as a readable multi-line dump, not JSON strings', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PUB)) return;
    await publish(midge.port, ['-i', 'traced-1', '-q', '1']);
    await waitUntil(() => readLog(logFile).includes('traced-1 << RECEIVED DISCONNECT'), 'the trace is logged', 5000);
    const text = readLog(logFile);
    const at = text.indexOf('traced-1 << RECEIVED PUBLISH');
    assert.ok(at > 0, text);
    const dump = text.slice(at).split('\n').slice(0, 8);
    assert.match(dump[1]!, /^\s+fixed header: 0x32 PUBLISH, dup 0, qos 1, retain 0/);
    assert.ok(dump.some((l) => /^\s+topic: "plant\/temp"$/.test(l)), dump.join('\n'));
    assert.ok(dump.some((l) => /^\s+0000 {2}32 /.test(l)), dump.join('\n'));
    assert.ok(!text.includes('\\"'), 'no escaped quotes');
  });

  it('writes the pid file while running, and on SIGHUP lets go of a log file that was moved away', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PUB)) return;
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(midge.pid));
    renameSync(logFile, `${logFile}.1`);
    midge.child.kill('SIGHUP');
    await waitUntil(() => readLog(logFile).includes('Reloading config.'), 'the new log file is opened', 5000);
    await publish(midge.port, ['-i', 'after-rotation']);
    await waitUntil(() => readLog(logFile).includes('as after-rotation'), 'the new connection is logged', 5000);
    assert.ok(!readLog(`${logFile}.1`).includes('after-rotation'), 'the rotated file is no longer written');
  });

  it('removes the pid file when it exits', async () => {
    await midge.stop();
    assert.equal(existsSync(pidFile), false);
  });
});

describe('log_type and log_timestamp_format', () => {
  it('write only the kinds of line asked for, subscriptions included, with the timestamp format given', async (t) => {
    if (!requireBinary(t, MOSQUITTO_SUB)) return;
    const dir = mkdtempSync(join(tmpdir(), 'midge-logtype-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const logFile = join(dir, 'midge.log');
    const midge = await spawnMidge({
      config: `listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 0\nlog_dest file ${logFile}\nlog_format text\n`
        + 'log_type error\nlog_type warning\nlog_type subscribe\nlog_timestamp_format %Y/%m/%d %H:%M:%S\n',
      args: ['--log-level', 'info'],
    });
    t.after(() => midge.stop());
    await runProcess(MOSQUITTO_SUB, ['-h', '127.0.0.1', '-p', String(midge.port), '-i', 'sensor-2', '-t', 'plant/#', '-q', '1', '-W', '1']);
    await waitUntil(() => readLog(logFile).includes('sensor-2 1 plant/#'), 'the subscription is logged', 5000);
    const text = readLog(logFile);
    assert.match(text, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d INFO {2}sensor-2 1 plant\/#$/m);
    assert.ok(!text.includes('New client connected'), 'notice lines are not asked for');
    assert.ok(!text.includes('Opening mqtt listen socket'), text);
  });
});

describe('log destinations', () => {
  it('send diagnostics to standard error by default, nothing to standard output', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'broker', '--port', String(port), '--no-persistence'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MIDGE_ADMIN_TOKEN: 'short' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      await waitUntil(() => stderr.includes('"msg":"running"'), 'the broker runs', 10_000);
      assert.match(stderr, /"warning":"[^"]*admin_token is shorter than 16 characters"/);
      assert.equal(stdout, '');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('log_dest topic publishes lines on mosquitto\'s $SYS/broker/log topics', async (t) => {
    if (!requireBinary(t, MOSQUITTO_SUB) || !requireBinary(t, MOSQUITTO_PUB)) return;
    const midge = await spawnMidge({
      config: 'listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 0\nlog_dest topic\n',
      args: ['--log-level', 'info'],
    });
    t.after(() => midge.stop());
    const reader = runProcess(MOSQUITTO_SUB, ['-h', '127.0.0.1', '-p', String(midge.port), '-t', '$SYS/broker/log/N', '-C', '2', '-W', '10', '-v']);
    // The reader's own connect is logged before it subscribes; keep publishing until it has two lines.
    let done = false;
    void reader.then(() => { done = true; });
    for (let i = 0; i < 20 && !done; i++) {
      await publish(midge.port, ['-i', `topic-log-${i}`]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { stdout } = await reader;
    assert.match(stdout, /^\$SYS\/broker\/log\/N \S+ INFO {2}New client connected from 127\.0\.0\.1:\d+ as topic-log-\d+ \(p2, c1, k60\)\.$/m);
  });
});
