import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient } from '../helpers/raw-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MQTT 5 Will Delay Interval', () => {
  let midge: InProcessMidge;
  before(async () => { midge = await startMidge(); });
  after(() => midge.stop());

  async function watcher(topic: string) {
    const c = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const inbox = collect(c);
    await c.subscribeAsync(topic, { qos: 1 });
    return { c, inbox };
  }

  function will(topic: string, delay: number) {
    return { topic, payload: Buffer.from('gone'), qos: 1 as const, retain: false, properties: { willDelayInterval: delay } };
  }

  it('publishes the will after its delay when the session outlives it [MQTT-3.1.3-9]', async () => {
    const { c, inbox } = await watcher('wd/a');
    const { client } = await RawClient.connect(midge.port, { version: 5, clientId: 'wd-a', will: will('wd/a', 1), properties: { sessionExpiryInterval: 60 } });
    const lostAt = Date.now();
    await client.close();
    await sleep(500);
    assert.equal(inbox.messages.length, 0, 'not before the delay');
    await inbox.waitFor(1, 3000);
    assert.ok(Date.now() - lostAt >= 900);
    await endMqttJs(c);
  });

  it('publishes the will when the session ends first, at the session expiry [MQTT-3.1.3-9]', async () => {
    const { c, inbox } = await watcher('wd/b');
    const { client } = await RawClient.connect(midge.port, { version: 5, clientId: 'wd-b', will: will('wd/b', 30), properties: { sessionExpiryInterval: 1 } });
    await client.close();
    const [m] = await inbox.waitFor(1, 3000);
    assert.equal(m!.payload.toString(), 'gone');
    await endMqttJs(c);
  });

  it('cancels the will when the client returns within the delay [MQTT-3.1.3-9]', async () => {
    const { c, inbox } = await watcher('wd/c');
    const { client } = await RawClient.connect(midge.port, { version: 5, clientId: 'wd-c', will: will('wd/c', 1), properties: { sessionExpiryInterval: 60 } });
    await client.close();
    const { client: back } = await RawClient.connect(midge.port, { version: 5, clientId: 'wd-c', clean: false, properties: { sessionExpiryInterval: 60 } });
    await sleep(1500);
    assert.equal(inbox.messages.length, 0);
    await back.close();
    await endMqttJs(c);
  });

  it('sends a will with delay 0 at once when the connection is lost', async () => {
    const { c, inbox } = await watcher('wd/d');
    const { client } = await RawClient.connect(midge.port, { version: 5, clientId: 'wd-d', will: will('wd/d', 0) });
    await client.close();
    await inbox.waitFor(1, 2000);
    await endMqttJs(c);
  });

  it('publishes the will when a v5 client disconnects with 0x04 Disconnect with Will Message [MQTT-3.14.4-3]', async () => {
    const { c, inbox } = await watcher('wd/e');
    const leaver = await connectMqttJs(midge.port, { protocolVersion: 5, will: { topic: 'wd/e', payload: Buffer.from('asked'), qos: 1, retain: false } });
    await new Promise<void>((resolve) => leaver.end(false, { reasonCode: 0x04 }, () => resolve()));
    const [m] = await inbox.waitFor(1, 2000);
    assert.equal(m!.payload.toString(), 'asked');
    await endMqttJs(c);
  });
});
