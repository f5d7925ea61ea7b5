import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { runBench } from './cli.js';

test('a conn run opens every connection and reports the broker memory it took', async (t) => {
  if (!requireBinary(t, MOSQUITTO)) return;
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const { code, summary } = await runBench(['conn', '-p', String(broker.port), '-c', '300', '-d', '1',
    '--broker-pid', String(broker.pid)]);

  assert.equal(code, 0, JSON.stringify(summary.problems));
  assert.equal(summary.connections.connected, 300);
  assert.equal(summary.connections.failed, 0);
  assert.ok(summary.connections.perSecond > 0);
  assert.ok(summary.connections.handshake && summary.connections.handshake.p50Us <= summary.connections.handshake.p99Us);
  assert.ok(summary.broker && summary.broker.rssAfterKiB > 0 && summary.broker.rssPerConnectionKiB !== undefined);
});

test('a conn run counts refused connections as failures and exits with status 1', async () => {
  const port = await freePort();
  const { code, summary } = await runBench(['conn', '-p', String(port), '-c', '20', '-d', '1']);

  assert.equal(code, 1);
  assert.equal(summary.ok, false);
  assert.equal(summary.connections.failed, 20);
  assert.equal(summary.connections.connected, 0);
  assert.match(summary.problems[0]?.reason ?? '', /ECONNREFUSED/);
});
