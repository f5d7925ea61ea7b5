import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { percentilesAscend, runBench, startBench } from './cli.js';

test('a QoS 1 subscriber run receives, in order, every message a QoS 1 publisher run sends', async (t) => {
  if (!requireBinary(t, MOSQUITTO)) return;
  // Mosquitto drops QoS 1 messages beyond 1000 queued per client unless told otherwise.
  const broker = await startMosquitto('max_queued_messages 0');
  t.after(() => broker.stop());
  const port = String(broker.port);
  const sub = startBench(['sub', '-p', port, '-c', '2', '-t', 'bench/#', '-q', '1', '-L', '8000', '-d', '20']);
  await sub.waitForOutput(/measuring/);

  const pub = await runBench(['pub', '-p', port, '-c', '4', '-t', 'bench/%i', '-q', '1', '-I', '0', '-L', '4000']);
  const received = await sub.finished();

  assert.equal(pub.code, 0, pub.stderr);
  assert.equal(pub.summary.messages.sent, 4000);
  assert.equal(pub.summary.messages.acked, 4000);
  assert.equal(received.code, 0, received.stderr);
  assert.equal(received.summary.messages.received, 8000);
  assert.deepEqual(
    [received.summary.verification.lost, received.summary.verification.outOfOrder, received.summary.verification.duplicates],
    [0, 0, 0],
  );
  assert.equal(received.summary.latency?.samples, 8000);
  assert.ok(percentilesAscend(received.summary.latency), JSON.stringify(received.summary.latency));
});

// Mosquitto drops QoS 2 messages beyond max_inflight_messages (20) in flight from a 3.1.1 client.
test('a pubsub run at QoS 2 delivers each message once to its paired subscriber', async (t) => {
  if (!requireBinary(t, MOSQUITTO)) return;
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const { code, summary } = await runBench(['pubsub', '-p', String(broker.port), '-c', '3', '-S', '3',
    '-t', 'bench/pair/%i', '-q', '2', '--window', '20', '-d', '1', '--e2e-window', '100']);

  assert.equal(code, 0, JSON.stringify(summary.problems));
  assert.equal(summary.settings.streams, 3);
  assert.ok(summary.messages.sent > 0);
  assert.equal(summary.messages.acked, summary.messages.sent);
  assert.equal(summary.messages.received, summary.messages.sent);
  assert.equal(summary.verification.lost, 0);
  assert.ok(percentilesAscend(summary.latency));
});

test('a pubsub fan-out over MQTT 5 counts one delivery per subscriber', async (t) => {
  if (!requireBinary(t, MOSQUITTO)) return;
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const { code, summary } = await runBench(['pubsub', '-p', String(broker.port), '-V', '5', '-c', '1', '-S', '5',
    '-t', 'bench/all', '-T', 'bench/+', '-q', '1', '-d', '1', '--e2e-window', '200', '-w', '3']);

  assert.equal(code, 0, JSON.stringify(summary.problems));
  assert.equal(summary.messages.received, 5 * summary.messages.sent);
  assert.equal(summary.verification.unacknowledged, 0);
});
