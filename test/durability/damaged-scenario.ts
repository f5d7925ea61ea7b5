/** The broker side of the damaged-store tests: a store filled by a real broker, then stopped. */
import { PacketType, type Packet } from '../../src/protocol/index.js';
import { killHard, persistentSubscriber, publishStream, spawnDurable } from './crash-scenario.js';
import { StreamClient } from './stream-client.js';

/** The topic the damaged-store tests publish to. */
export const TOPIC = 'damaged/stream';

/** A store holding a persistent subscriber's queue of `total` messages; the broker is then stopped the given way. */
export async function fillStore(data: string, total: number, stop: 'kill' | 'term', payload?: (n: number) => string): Promise<Set<number>> {
  const broker = await spawnDurable(data);
  try {
    const sub = await persistentSubscriber(broker.port, 'damaged-sub', TOPIC, 1);
    await sub.disconnect();
    const acked = await publishStream(broker.port, { topic: TOPIC, qos: 1, total, window: 50 });
    // A few more, one commit each, so that the last commits are in the WAL whatever checkpoints ran before.
    const { client } = await StreamClient.connect(broker.port, { clientId: 'one-by-one', clean: true });
    for (let n = total + 1; n <= total + 5; n++) {
      await client.waitFor((p): p is Packet => p.type === PacketType.PUBACK, 5000, 'PUBACK', () => {
        client.send({ type: PacketType.PUBLISH, topic: TOPIC, payload: Buffer.from(payload?.(n) ?? String(n)), qos: 1, retain: false, dup: false, packetId: n });
      });
      acked.add(n);
    }
    await client.destroy();
    return acked;
  } finally {
    if (stop === 'kill') await killHard(broker);
    else await broker.stop();
  }
}

