/** kill -9 in the middle of a QoS 1 stream (the scenario is in ./kill9-stream-scenario.ts). */
import { it } from 'node:test';
import { assertDelivered, killNineSuite, run } from './kill9-stream-scenario.js';

killNineSuite(1, () => {
  it('keeps the same promise with persistence_sync full', async () => {
    const { acked, receiver } = await run({ qos: 1, killAt: 0.5, online: false, args: ['--persistence-sync', 'full'] });
    assertDelivered(acked, receiver, 1);
  });
});
