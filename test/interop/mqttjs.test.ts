import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { uniq } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs, type Received } from '../helpers/mqttjs.js';

/** Connects and collects from the start; also returns the CONNACK's Session Present flag. */
async function open(port: number, options: IClientOptions): Promise<{ client: MqttClient; inbox: ReturnType<typeof collect>; present: boolean }> {
  let inbox: ReturnType<typeof collect> | undefined;
  let present = false;
  const client = await connectMqttJs(port, options, 5000, (c) => {
    inbox = collect(c);
    c.once('connect', (connack) => { present = connack.sessionPresent; });
  });
  return { client, inbox: inbox!, present };
}

/**
 * Publishes a marker to a topic the inbox's client subscribed to and returns what
 * arrived from index `from` up to the marker: midge routes one publisher's messages
 * in order, so anything wrongly delivered would be there.
 */
async function untilMarker(pub: MqttClient, inbox: ReturnType<typeof collect>, marker: string, from = inbox.messages.length): Promise<Received[]> {
  await pub.publishAsync(marker, 'marker', { qos: 1 });
  const deadline = Date.now() + 5000;
  for (;;) {
    const seen = inbox.messages.slice(from);
    const at = seen.findIndex((m) => m.topic === marker);
    if (at >= 0) return seen.slice(0, at);
    assert.ok(Date.now() < deadline, 'the marker did not arrive');
    await inbox.waitFor(inbox.messages.length + 1, deadline - Date.now());
  }
}

for (const protocolVersion of [4, 5] as const) {
  const label = protocolVersion === 4 ? 'MQTT 3.1.1' : 'MQTT 5';
  /** Options every client of this suite uses: the protocol version and a client id. */
  const base = (clientId: string, extra: IClientOptions = {}): IClientOptions => ({ protocolVersion, clientId, ...extra });
  /** The statements a test checks, as each version numbers them. */
  const cite = (v311: string, v5: string): string => (protocolVersion === 4 ? v311 : v5);

  describe(`MQTT.js (${label}) against midge`, () => {
    let midge: InProcessMidge;
    let pub: MqttClient;
    before(async () => {
      midge = await startMidge();
      pub = await connectMqttJs(midge.port, base(uniq('pub')));
    });
    after(async () => {
      await endMqttJs(pub);
      await midge.stop();
    });

    it(`connects with a clean session and gets Session Present 0 ${cite('[MQTT-3.2.2-1]', '[MQTT-3.2.2-2]')}`, async () => {
      const { client, present } = await open(midge.port, base(uniq('clean')));
      assert.equal(present, false);
      assert.equal(client.connected, true);
      await endMqttJs(client);
    });

    it("subscribes with '+' and '#' and receives exactly the matching topics (sections 4.7.1.2 and 4.7.1.3)", async () => {
      const { client, inbox } = await open(midge.port, base(uniq('wild')));
      const root = uniq('wild');
      const grants = await client.subscribeAsync({ [`${root}/+/temp`]: { qos: 1 }, [`${root}/alarms/#`]: { qos: 2 }, [`${root}/marker`]: { qos: 1 } });
      assert.deepEqual(grants.map((g) => g.qos), [1, 2, 1]);
      for (const t of [`${root}/kitchen/temp`, `${root}/kitchen/hum`, `${root}/a/b/temp`, `${root}/alarms`, `${root}/alarms/fire/floor1`]) {
        await pub.publishAsync(t, t, { qos: 1 });
      }
      const got = await untilMarker(pub, inbox, `${root}/marker`, 0);
      assert.deepEqual(got.map((m) => m.topic), [`${root}/kitchen/temp`, `${root}/alarms`, `${root}/alarms/fire/floor1`]);
      await endMqttJs(client);
    });

    it('carries QoS 0, 1 and 2 from an MQTT.js publisher through midge to an MQTT.js subscriber [MQTT-4.3.1-1] [MQTT-4.3.2-1] [MQTT-4.3.3-1]', async () => {
      const { client, inbox } = await open(midge.port, base(uniq('qos')));
      const topic = uniq('qos');
      await client.subscribeAsync(`${topic}/#`, { qos: 2 });
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`${topic}/${qos}`, `at ${qos}`, { qos });
      const got = await inbox.waitFor(3);
      assert.deepEqual(got.map((m) => [m.topic, m.packet.qos, m.payload.toString()]), [0, 1, 2].map((q) => [`${topic}/${q}`, q, `at ${q}`]));
      await endMqttJs(client);
    });

    it(`stores a retained message, sends it with RETAIN to a later subscriber and clears it with an empty payload ${cite('[MQTT-3.3.1-5] [MQTT-3.3.1-8] [MQTT-3.3.1-10]', '[MQTT-3.3.1-5] [MQTT-3.3.1-9] [MQTT-3.3.1-6]')}`, async () => {
      const topic = uniq('retained');
      await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
      const first = await open(midge.port, base(uniq('late')));
      await first.client.subscribeAsync(topic, { qos: 1 });
      const [got] = await first.inbox.waitFor(1);
      assert.deepEqual([got!.payload.toString(), got!.packet.retain], ['kept', true]);
      await endMqttJs(first.client);
      await pub.publishAsync(topic, '', { qos: 1, retain: true });
      const second = await open(midge.port, base(uniq('later')));
      await second.client.subscribeAsync([topic, `${topic}/marker`], { qos: 1 });
      assert.deepEqual(await untilMarker(pub, second.inbox, `${topic}/marker`), []);
      await endMqttJs(second.client);
    });

    it('publishes the will of a client whose connection is lost, and not of one that ends normally [MQTT-3.1.2-8] [MQTT-3.1.2-10]', async () => {
      const topic = uniq('will');
      const watch = await open(midge.port, base(uniq('watch')));
      await watch.client.subscribeAsync([topic, `${topic}/marker`], { qos: 1 });
      const polite = await connectMqttJs(midge.port, base(uniq('polite'), { will: { topic, payload: Buffer.from('polite'), qos: 1, retain: false } }));
      await endMqttJs(polite);
      const lost = await connectMqttJs(midge.port, base(uniq('lost'), { will: { topic, payload: Buffer.from('lost'), qos: 1, retain: false } }));
      lost.stream.destroy();
      const [got] = await watch.inbox.waitFor(1);
      assert.deepEqual([got!.payload.toString(), got!.packet.qos], ['lost', 1]);
      assert.deepEqual(await untilMarker(pub, watch.inbox, `${topic}/marker`), [], 'no will from the client that ended normally');
      await endMqttJs(lost, true);
      await endMqttJs(watch.client);
    });

    it(`keeps a persistent session: QoS 1 and 2 messages sent while offline arrive on return with Session Present 1 ${cite('[MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.2.2-2]', '[MQTT-3.1.2-5] [MQTT-3.1.2-23] [MQTT-3.2.2-3]')}`, async () => {
      const clientId = uniq('persistent');
      const topic = uniq('persistent');
      const persistent = base(clientId, { clean: false, properties: protocolVersion === 5 ? { sessionExpiryInterval: 60 } : undefined });
      const first = await open(midge.port, persistent);
      assert.equal(first.present, false);
      await first.client.subscribeAsync(topic, { qos: 2 });
      await endMqttJs(first.client);
      await pub.publishAsync(topic, 'q1 while away', { qos: 1 });
      await pub.publishAsync(topic, 'q2 while away', { qos: 2 });
      const again = await open(midge.port, persistent);
      assert.equal(again.present, true);
      const got = await again.inbox.waitFor(2);
      assert.deepEqual(got.map((m) => [m.payload.toString(), m.packet.qos]), [['q1 while away', 1], ['q2 while away', 2]]);
      await endMqttJs(again.client);
    });

    it('stops delivering after UNSUBSCRIBE [MQTT-3.10.4-2] [MQTT-3.10.4-4]', async () => {
      const { client, inbox } = await open(midge.port, base(uniq('unsub')));
      const topic = uniq('unsub');
      await client.subscribeAsync([topic, `${topic}/marker`], { qos: 1 });
      await pub.publishAsync(topic, 'before', { qos: 1 });
      await inbox.waitFor(1);
      await client.unsubscribeAsync(topic);
      await pub.publishAsync(topic, 'after', { qos: 1 });
      assert.deepEqual(await untilMarker(pub, inbox, `${topic}/marker`), [], 'nothing after UNSUBACK');
      await endMqttJs(client);
    });
  });
}
