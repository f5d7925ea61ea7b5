import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonical } from './codec-helpers.js';
import { bytesOf, fixtures } from './fixtures/index.js';
import { generateWithMqttJs, parseWithMqttJs } from './mqtt-packet-bridge.js';

/*
 * The fixtures were written by hand from the specification; here mqtt-packet (the
 * codec MQTT.js uses, which we did not write) must read the same packets from them
 * and write the same bytes, so the fixtures are not our own output echoed back.
 * Both sides go through canonical() first, because mqtt-packet reports reason code
 * 0x00 for the short forms where we leave it absent.
 */
describe('fixtures against mqtt-packet', () => {
  for (const f of fixtures) {
    const agrees = f.mqttPacket?.agrees ?? 'both';
    if (agrees === 'none') continue;
    test(`mqtt-packet parses ${f.name} to the same packet`, () => {
      const theirs = parseWithMqttJs(bytesOf(f.hex), f.version);
      assert.deepStrictEqual(canonical(theirs, f.version), canonical(f.packet, f.version));
    });
    if (agrees !== 'both') continue;
    test(`mqtt-packet writes the bytes of ${f.name}`, () => {
      const expected = bytesOf(f.encodesTo ?? f.hex).toString('hex');
      assert.equal(generateWithMqttJs(f.packet, f.version).toString('hex'), expected);
    });
  }

  test('mqtt-packet checks most fixtures in both directions and says why it cannot check the rest', () => {
    const both = fixtures.filter((f) => !f.mqttPacket).length;
    assert.ok(both / fixtures.length > 0.75, `only ${both} of ${fixtures.length} fixtures are checked both ways`);
    for (const f of fixtures) if (f.mqttPacket) assert.ok(f.mqttPacket.why.length > 20, f.name);
  });
});
