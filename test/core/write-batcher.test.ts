/**
 * The write path of a connection (src/broker/write-batcher.ts, publish-encoding.ts):
 * a large payload goes to a socket as the message's own buffer after its header, in
 * one gathered write, never copied into a packet; streams that frame each write
 * (WebSocket) still get whole packets.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { createMessage, type OutgoingPublish } from '../../src/broker/index.js';
import { GATHERED_PAYLOAD_MIN, encodeSharedPublish, gathersPayload } from '../../src/broker/publish-encoding.js';
import { OutgoingBuffer } from '../../src/broker/write-batcher.js';
import { PacketType, encodePublish, type QoS } from '../../src/protocol/index.js';

/** A stream that records its writes: each write, or each gathered write (writev) as its list of buffers. */
function recordingStream(gathers: boolean): { stream: Duplex; writes: Buffer[][] } {
  const writes: Buffer[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      writes.push([chunk]);
      callback();
    },
    writev: gathers
      ? (chunks, callback) => {
        writes.push(chunks.map((c) => c.chunk as Buffer));
        callback();
      }
      : undefined,
  });
  return { stream, writes };
}

function outgoing(payloadBytes: number, qos: QoS, packetId?: number): OutgoingPublish {
  const message = createMessage({
    topic: 'big/t', payload: Buffer.alloc(payloadBytes, 0x61), qos, retain: false, properties: undefined,
    createdAt: Date.now(), expiresAt: undefined, origin: undefined,
  });
  return { message, qos, retain: false, packetId, dup: false, subscriptionIds: undefined };
}

describe('the write path of a connection', () => {
  it('encodes only the header of a PUBLISH with a large payload, which with the payload is the whole packet, for 3.1.1 and 5.0 at QoS 0 and 1', () => {
    for (const version of [4, 5] as const) {
      for (const qos of [0, 1] as const) {
        const p = outgoing(GATHERED_PAYLOAD_MIN, qos, qos > 0 ? 513 : undefined);
        assert.equal(gathersPayload(p.message), true);
        const head = encodeSharedPublish(p, version);
        const whole = encodePublish({
          type: PacketType.PUBLISH, topic: 'big/t', payload: p.message.payload, qos, retain: false, dup: false, packetId: p.packetId,
        }, version);
        assert.ok(Buffer.concat([head, p.message.payload]).equals(whole), `v${version} QoS ${qos}`);
      }
    }
    assert.equal(gathersPayload(outgoing(GATHERED_PAYLOAD_MIN - 1, 0).message), false, 'a smaller payload is copied into its packet');
  });

  it('hands a socket the payload buffer itself, after its header, with the other packets of the turn in one gathered write', () => {
    const { stream, writes } = recordingStream(true);
    const out = new OutgoingBuffer(stream, () => {});
    const payload = Buffer.alloc(16_384, 0x62);
    const head = Buffer.from([0x30, 0x01]);
    out.push(Buffer.from('small'));
    out.pushParts(head, payload);
    out.pushParts(head, payload);
    out.flush();
    assert.equal(writes.length, 1, 'one write for the turn');
    assert.equal(writes[0]!.length, 5);
    assert.equal(writes[0]![2], payload, 'the payload is not copied');
    assert.equal(writes[0]![4], payload);
  });

  it('gives a stream that frames each write (WebSocket) whole packets, and joins small ones into one write', () => {
    const { stream, writes } = recordingStream(false);
    const out = new OutgoingBuffer(stream, () => {});
    out.push(Buffer.from('ab'));
    out.push(Buffer.from('cd'));
    out.flush();
    assert.deepEqual(writes.map((w) => w.map((b) => b.toString())), [['abcd']]);
    const payload = Buffer.alloc(8000, 0x63);
    out.pushParts(Buffer.from('head'), payload);
    out.pushParts(Buffer.from('head'), payload);
    out.flush();
    const packets = writes.slice(1).flat();
    assert.equal(packets.length, 2, 'one write per packet');
    for (const packet of packets) assert.ok(packet.equals(Buffer.concat([Buffer.from('head'), payload])));
  });
});
