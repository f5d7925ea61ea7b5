/**
 * The Jepsen-style checker's own check: its "no repeat without DUP" count must flag a
 * QoS 1 message the broker sends again without DUP [MQTT-3.3.1-1], and only that. The
 * test publishes its route probes again and again at QoS 0, where DUP is always 0
 * [MQTT-3.3.1-2]: a subscriber that gets several is not seeing a broker fault.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { PacketFramer, PacketType, decodePacket, encodePacket, type Packet } from '../../src/protocol/index.js';
import { until } from '../durability/stream-client.js';
import { CheckedSubscriber, PROBE } from './checker.js';

/** A broker stand-in that answers CONNECT and SUBSCRIBE, then sends `script` and notes the PUBACKs. */
function scriptedBroker(script: Packet[]): Promise<{ server: Server; port: number; pubacks: number[] }> {
  const pubacks: number[] = [];
  const server = createServer((socket: Socket) => {
    const framer = new PacketFramer();
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => framer.push(chunk, (first, body) => {
      const packet = decodePacket(first, body, 4);
      if (packet.type === PacketType.CONNECT) socket.write(encodePacket({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 }, 4));
      if (packet.type === PacketType.PUBACK) pubacks.push(packet.packetId);
      if (packet.type !== PacketType.SUBSCRIBE) return;
      socket.write(encodePacket({ type: PacketType.SUBACK, packetId: packet.packetId, reasonCodes: [1] }, 4));
      for (const p of script) socket.write(encodePacket(p, 4));
    }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, pubacks })));
}

const publish = (payload: string, qos: 0 | 1, dup: boolean, packetId?: number): Packet => ({
  type: PacketType.PUBLISH, topic: 'check/x', payload: Buffer.from(payload), qos, retain: false, dup, packetId,
});

describe('the Jepsen-style checker', () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('counts a QoS 1 message sent again without DUP as a repeat without DUP, and neither a resend with DUP nor repeated QoS 0 probes', async () => {
    const broker = await scriptedBroker([
      publish(PROBE, 0, false), publish(PROBE, 0, false), publish(PROBE, 0, false),
      publish('p:1', 1, false, 1), publish('p:1', 1, true, 1),
      publish('p:2', 1, false, 2), publish('p:2', 1, false, 3),
    ]);
    closers.push(() => new Promise((resolve) => broker.server.close(() => resolve())));
    const subscriber = new CheckedSubscriber({ ports: () => [broker.port] }, 'checker-self-test', 0, 'check/#');
    closers.push(() => subscriber.stop());
    await subscriber.start();
    await until(() => broker.pubacks.length === 4, 5000, () => `${broker.pubacks.length} of 4 PUBACKs`);
    assert.equal(subscriber.repeatsWithoutDup, 1, 'p:2 only');
    assert.deepEqual([...subscriber.counts], [['p:1', 2], ['p:2', 2]]);
    assert.equal(subscriber.probed, true);
  });
});
