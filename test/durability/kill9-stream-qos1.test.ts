/** kill -9 in the middle of a QoS 1 stream (the scenario is in ./kill9-stream-scenario.ts). */
import { describe, it } from 'node:test';
import { assertDelivered, run } from './kill9-stream-scenario.js';

describe('kill -9 in the middle of a QoS 1 stream', () => {
  const qos = 1;
  for (const killAt of [0.1, 0.5, 0.9]) {
    it(`delivers every QoS ${qos} message acknowledged before a kill at ${killAt * 100}% to the persistent subscriber that returns`, async () => {
      const { acked, receiver } = await run({ qos, killAt, online: false });
      assertDelivered(acked, receiver, qos);
    });
  }
  it(`delivers every QoS ${qos} message acknowledged before a kill to a subscriber that was receiving when it came`, async () => {
    const { acked, receiver } = await run({ qos, killAt: 0.5, online: true });
    assertDelivered(acked, receiver, qos);
  });

  it('keeps the same promise with persistence_sync full', async () => {
    const { acked, receiver } = await run({ qos: 1, killAt: 0.5, online: false, args: ['--persistence-sync', 'full'] });
    assertDelivered(acked, receiver, 1);
  });
});
