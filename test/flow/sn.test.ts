import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, disconnect, subscribe } from '../helpers/flows.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { collectSn, connectSnClient, startSnMidge, uniq, waitUntil, type SnMidge } from '../sn/gateway/helpers.js';
import { burst, drops, pubacks } from './helpers.js';

/**
 * Issue 14 through the MQTT-SN gateway: an MQTT-SN subscriber that keeps up gets every
 * message of a burst beside a frozen MQTT subscriber, and an MQTT-SN publisher is held
 * back (its PUBACK waits) while a subscriber it publishes to catches up, instead of its
 * messages being dropped.
 */
describe('flow control through the MQTT-SN gateway', () => {
  let sn: SnMidge;
  before(async () => {
    sn = await startSnMidge({}, { limits: { maxQueuedMessages: 50, slowConsumerTimeout: 1 } });
  });
  after(() => sn.stop());

  it('delivers every message of a 500-message QoS 1 burst to an MQTT-SN subscriber that keeps up, beside a frozen MQTT subscriber', async () => {
    const topic = uniq('snburst');
    const frozen = await connect(sn.mqttPort);
    await subscribe(frozen, [[topic, 1]]);
    frozen.socket.pause();
    const client = await connectSnClient(sn);
    const inbox = collectSn(client);
    await client.subscribe(topic, 1);
    const pub = await connect(sn.mqttPort);
    const total = 500; // far past the MQTT-SN client's queue (50) and the frozen one's
    pub.socket.write(burst(topic, total, 0, 1));
    await pubacks(pub, total, 60_000);
    await inbox.waitFor(total, 60_000);
    const seqs = inbox.messages.map((m) => Number(m.payload));
    assert.equal(seqs.length, total);
    assert.ok(seqs.every((n, i) => n === i), 'every message, in order');
    await disconnect(pub);
    await client.disconnect();
    await client.close();
    await frozen.close();
  });

  it('holds back an MQTT-SN publisher while a subscriber catches up, and the MQTT subscriber that reads gets every message', async () => {
    const broker = sn.midge.server.broker;
    const topic = uniq('snpub');
    const frozen = await connect(sn.mqttPort, { clientId: uniq('frozen') });
    await subscribe(frozen, [[topic, 1]]);
    frozen.socket.pause();
    const reader = await connectMqttJs(sn.mqttPort);
    const got = collect(reader);
    await reader.subscribeAsync(topic, { qos: 1 });
    const client = await connectSnClient(sn);
    const pausesBefore = broker.flow.stats().publisherPauses;
    const dropsBefore = drops(broker, 'queue-full');
    const total = 150; // past the frozen subscriber's window (20) and queue (50)
    for (let i = 0; i < total; i++) await client.publish(topic, Buffer.from(String(i)), 1);
    await waitUntil(() => new Set(got.messages.map((m) => m.payload.toString())).size >= total, 30_000, 'every message');
    // A QoS 1 PUBLISH that the client sends again while its PUBACK waits is routed again (at least once).
    const firsts = [...new Set(got.messages.map((m) => Number(m.payload.toString())))];
    assert.equal(firsts.length, total);
    assert.ok(firsts.every((n, i) => n === i), 'every message, in order');
    assert.ok(broker.flow.stats().publisherPauses > pausesBefore, 'the MQTT-SN publisher was held back');
    assert.ok(drops(broker, 'queue-full') > dropsBefore, 'once slow, the frozen subscriber lost what its queue could not hold');
    await endMqttJs(reader);
    await client.disconnect();
    await client.close();
    await frozen.close();
  });
});
