import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createMessage } from '../../src/broker/index.js';
import { requireBinary } from '../helpers/external.js';
import { connect, disconnect, uniq } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { burst, drops } from './helpers.js';

const run = promisify(execFile);
const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

/**
 * Issue 14: no message is lost to a subscriber that keeps up, whatever the load: 16 KB
 * messages from many publishers at once, or 200,000 retained messages on SUBSCRIBE,
 * which are poured in as the subscriber drains rather than all at once.
 */
describe('a subscriber that keeps up', () => {
  let midge: InProcessMidge;
  before(async () => {
    // A small queue bound, so that neither burst nor retained messages fit at once.
    midge = await startMidge({ broker: { limits: { socketHighWaterMark: 256 * 1024, maxQueuedBytes: 4 * 1024 * 1024, maxQueuedMessages: 10_000 } } });
  });
  after(() => midge.stop());

  it('receives every 16 KB QoS 0 message of 20 publishers writing 100 each at once (32 MB), each publisher in order', async () => {
    const prefix = uniq('fanin');
    const sub = await connectMqttJs(midge.port);
    const got = collect(sub);
    await sub.subscribeAsync(`${prefix}/#`, { qos: 0 });
    const publishers = await Promise.all(Array.from({ length: 20 }, () => connect(midge.port)));
    const before = drops(midge.server.broker, 'queue-full');
    publishers.forEach((p, i) => p.socket.write(burst(`${prefix}/${i}`, 100, 16 * 1024, 0)));
    await got.waitFor(2000, 30_000);
    const next = new Map<string, number>();
    for (const m of got.messages) {
      const seq = m.payload.readUInt32BE(0);
      assert.equal(seq, next.get(m.topic) ?? 0, `${m.topic} in order`);
      next.set(m.topic, seq + 1);
    }
    assert.equal(got.messages.length, 2000);
    assert.equal(drops(midge.server.broker, 'queue-full') - before, 0, 'nothing dropped');
    await Promise.all(publishers.map((p) => disconnect(p)));
    await endMqttJs(sub);
  });

  describe('over 200,000 retained messages', () => {
    const prefix = uniq('ret');
    before(() => {
      const now = Date.now();
      for (let i = 0; i < 200_000; i++) {
        midge.server.broker.setRetained(createMessage({
          topic: `${prefix}/${i % 100}/${i}`, payload: Buffer.from(String(i)), qos: 1, retain: true, properties: undefined,
          createdAt: now, expiresAt: undefined, origin: undefined,
        }));
      }
    });

    for (const qos of [0, 1] as const) {
      it(`receives all of them at QoS ${qos} on subscribing to a wildcard over them, paced by its drain (mosquitto_sub) [MQTT-3.3.1-9]`, async (t) => {
        if (!requireBinary(t, MOSQUITTO_SUB)) return;
        const broker = midge.server.broker;
        const before = drops(broker, 'queue-full');
        const { stdout } = await run(MOSQUITTO_SUB, [
          '-h', '127.0.0.1', '-p', String(midge.port), '-t', `${prefix}/#`, '-q', String(qos), '-C', '200000', '-W', '60', '-F', '%r %q %t',
        ], { timeout: 70_000, maxBuffer: 64 * 1024 * 1024 });
        const lines = stdout.trimEnd().split('\n');
        assert.equal(lines.length, 200_000);
        assert.equal(new Set(lines).size, 200_000, 'each retained message once');
        assert.ok(lines.every((l) => l.startsWith(`1 ${qos} `)), `with RETAIN set, at QoS ${qos} [MQTT-3.3.1-8]`);
        assert.equal(drops(broker, 'queue-full') - before, 0, 'nothing dropped');
      });
    }
  });
});
