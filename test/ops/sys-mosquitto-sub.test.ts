import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { spawnMidge } from '../helpers/midge.js';
import { connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { runProcess } from '../auth/fixtures.js';

const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

/**
 * Reads the retained `$SYS/broker/#` figures with mosquitto_sub: it prints what the
 * broker holds and exits at the first live update (`--retained-only`), or after 3 s.
 */
async function readSys(port: number): Promise<Map<string, string>> {
  const result = await runProcess(MOSQUITTO_SUB, [
    '-h', '127.0.0.1', '-p', String(port), '-t', '$SYS/broker/#', '--retained-only', '-W', '3', '-F', '%t\t%p',
  ]);
  const figures = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) figures.set(line.slice('$SYS/broker/'.length, tab), line.slice(tab + 1));
  }
  assert.ok(figures.size > 0, `mosquitto_sub read nothing: ${result.stderr}`);
  return figures;
}

/** Reads until `accept` holds (each read costs the broker a connection and some bytes), within a bound. */
async function readSysUntil(port: number, accept: (figures: Map<string, string>) => boolean, timeoutMs = 10_000): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const figures = await readSys(port);
    if (accept(figures)) return figures;
    if (Date.now() > deadline) assert.fail(`the $SYS figures did not move in time: ${JSON.stringify(Object.fromEntries(figures))}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('$SYS read with mosquitto_sub', () => {
  it('shows the broker\'s figures, and they move with real traffic', async (t) => {
    if (!requireBinary(t, MOSQUITTO_SUB)) return;
    const midge = await spawnMidge({ config: 'listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 1\n' });
    t.after(() => midge.stop());
    const before = await readSys(midge.port);
    assert.match(before.get('version') ?? '', /^midge version \d+\.\d+\.\d+/);
    assert.match(before.get('uptime') ?? '', /^\d+ seconds$/);
    assert.equal(before.get('publish/messages/received'), '0');
    const publisher = await connectMqttJs(midge.port);
    const payload = 'x'.repeat(100);
    for (let i = 0; i < 8; i++) await publisher.publishAsync('load/test', payload, { qos: 1 });
    const after = await readSysUntil(midge.port, (f) => f.get('publish/messages/received') === '8');
    await endMqttJs(publisher);
    assert.ok(Number(after.get('publish/bytes/received')) >= 800, 'the payload bytes are counted');
    assert.ok(Number(after.get('bytes/received')) > Number(before.get('bytes/received')) + 800);
    assert.ok(Number(after.get('clients/total')) >= 1);
    assert.ok(Number(after.get('load/publish/received/1min')) > 0, 'the 1-minute load shows the burst');
    assert.ok(Number(after.get('load/connections/1min')) > 0);
  });
});
