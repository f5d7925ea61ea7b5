/**
 * The shared encoding of a message's PUBLISH copies (src/broker/publish-encoding.ts): the
 * first QoS 1/2 copy is encoded with its own packet id and DUP flag and kept as the bytes
 * later copies are made from, so each copy must carry its own id and DUP and no copy may
 * change bytes already handed to a socket.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMessage } from '../../src/broker/index.js';
import { encodeSharedPublish } from '../../src/broker/publish-encoding.js';
import { decodePacket, type PublishPacket } from '../../src/protocol/index.js';

function decoded(bytes: Buffer): PublishPacket {
  return decodePacket(bytes[0]!, bytes.subarray(2), 4) as PublishPacket;
}

describe('the shared encoding of PUBLISH copies', () => {
  it('gives every QoS 1 copy its own packet id and DUP flag and leaves bytes already sent as they were', () => {
    const message = createMessage({
      topic: 'fleet/1/42', payload: Buffer.from('reading'), qos: 1, retain: false, properties: undefined,
      createdAt: Date.now(), expiresAt: undefined, origin: 'dev-42',
    });
    const copy = (packetId: number, dup: boolean): Buffer =>
      encodeSharedPublish({ message, qos: 1, retain: false, packetId, dup, subscriptionIds: undefined }, 4);
    const first = copy(7, true);
    const sentBytes = Buffer.from(first);
    const second = copy(9, false);
    const third = copy(11, true);
    assert.deepEqual([first, second, third].map((b) => [decoded(b).packetId, decoded(b).dup, decoded(b).topic, decoded(b).payload.toString()]), [
      [7, true, 'fleet/1/42', 'reading'], [9, false, 'fleet/1/42', 'reading'], [11, true, 'fleet/1/42', 'reading'],
    ]);
    assert.deepEqual(first, sentBytes, 'the first copy is not changed by the copies made from it');
  });
});
