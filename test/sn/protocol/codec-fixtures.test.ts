import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSnMessage, encodeSnMessage, SnMsgType, snMsgTypeNames } from '../../../src/sn/protocol/index.js';
import { fixtureBytes, fixtures } from './fixtures.js';

describe('MQTT-SN byte fixtures', () => {
  for (const fixture of fixtures) {
    test(`decodes ${fixture.name}`, () => {
      assert.deepEqual(decodeSnMessage(fixtureBytes(fixture)), fixture.message);
    });
    test(`encodes ${fixture.name}`, () => {
      assert.equal(encodeSnMessage(fixture.message).toString('hex'), fixtureBytes(fixture).toString('hex'));
    });
  }

  test('the fixtures cover every message type of the spec', () => {
    const covered = new Set<number>(fixtures.map((f) => f.message.type));
    const missing = Object.values(SnMsgType).filter((type) => !covered.has(type)).map((type) => snMsgTypeNames[type]);
    assert.deepEqual(missing, []);
  });
});
