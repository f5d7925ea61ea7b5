import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeSnMessage } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { anyMessage } from '../protocol/arbitraries.js';
import { collectSn, connectSnClient, RawSnClient, startSnMidge, uniq, type SnMidge } from './helpers.js';

/** A valid datagram with some octets changed, cut short or extended. */
const mutated: fc.Arbitrary<Uint8Array> = fc.tuple(
  anyMessage.map((m) => encodeSnMessage(m)),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  fc.oneof(fc.constant('keep' as const), fc.constant('cut' as const), fc.constant('extend' as const)),
  fc.nat(),
).map(([bytes, changes, shape, n]) => {
  let out = Buffer.from(bytes);
  for (const [at, value] of changes) if (out.length > 0) out[at % out.length] = value;
  if (shape === 'cut') out = out.subarray(0, n % (out.length + 1));
  if (shape === 'extend') out = Buffer.concat([out, Buffer.alloc(1 + (n % 8), n & 0xff)]);
  return new Uint8Array(out);
});

/** Random octets, short and long. */
const random: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
);

/**
 * Waits until the gateway has handled everything sent so far: it handles datagrams in
 * the order they arrive, so its GWINFO to this SEARCHGW, on a socket of its own, comes after.
 */
async function settled(marker: RawSnClient): Promise<void> {
  // UDP on a loaded machine may drop a datagram: ask again rather than wait long for a lost one.
  for (let attempt = 1; ; attempt++) {
    marker.sendBytes(encodeSnMessage({ type: 0x01, radius: 0 }));
    try {
      await marker.next(500);
      return;
    } catch (err) {
      if (attempt === 6) throw err;
    }
  }
}

describe('MQTT-SN gateway against malformed and random datagrams', () => {
  let sn: SnMidge;
  const errors: Error[] = [];
  let marker: RawSnClient;
  before(async () => {
    // Every fuzzed client comes from 127.0.0.1 and keeps its slot until its keep alive runs out.
    sn = await startSnMidge({ predefinedTopics: new Map([[1, 'fuzz/predefined']]), maxClientsPerAddress: 1000 });
    sn.midge.server.broker.hooks.on('brokerError', ({ error }) => errors.push(error));
    marker = await RawSnClient.open(sn.snPort);
  });
  after(async () => {
    await marker.close();
    await sn.stop();
  });

  it('survives random and mutated datagrams from an address with no connection, and reports no error', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(random, mutated), { minLength: 1, maxLength: 20 }), async (datagrams) => {
      for (const d of datagrams) raw.sendBytes(d);
      await settled(marker);
    }), { numRuns: 250, endOnFailure: true });
    await raw.close();
    assert.deepEqual(errors, []);
    assert.ok(sn.gateway.malformedCount > 0, 'some datagrams were malformed and dropped');
  });

  it('survives well-formed but unexpected messages and mutated ones from connected clients, and reports no error', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(anyMessage.map((m) => encodeSnMessage(m)), mutated), { minLength: 1, maxLength: 25 }), async (datagrams) => {
      const raw = await RawSnClient.open(sn.snPort);
      await raw.connect(uniq('fuzzed'));
      for (const d of datagrams) raw.sendBytes(d);
      await settled(marker);
      await raw.close();
    }), { numRuns: 250, endOnFailure: true });
    assert.deepEqual(errors, []);
  });

  it('keeps serving SN and MQTT clients afterwards', async () => {
    const topic = uniq('after-fuzz');
    const client = await connectSnClient(sn);
    const inbox = collectSn(client);
    await client.subscribe(topic, 1);
    const mqtt = await connectMqttJs(sn.mqttPort);
    const mqttInbox = collect(mqtt);
    await new Promise<void>((resolve) => mqtt.subscribe(`${topic}/up`, { qos: 1 }, () => resolve()));
    await new Promise<void>((resolve) => mqtt.publish(topic, 'still here', { qos: 1 }, () => resolve()));
    await client.publish(`${topic}/up`, Buffer.from('me too'), 1);
    await inbox.waitFor(1);
    await mqttInbox.waitFor(1);
    assert.deepEqual(inbox.messages.map((m) => m.payload), ['still here']);
    assert.equal(mqttInbox.messages[0]!.payload.toString(), 'me too');
    await endMqttJs(mqtt);
    await client.disconnect();
    await client.close();
    assert.deepEqual(errors, []);
  });
});
