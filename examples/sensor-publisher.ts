/**
 * A sensor: it connects with a Last Will, says it is online, publishes a few
 * temperature readings at QoS 1 and says goodbye. If it dies without saying goodbye
 * (kill -9, a cut cable), the broker publishes the will for it.
 *
 *   node --import tsx examples/sensor-publisher.ts [sensor-id] [readings]
 *   MQTT_URL=mqtt://broker.example:1883 node --import tsx examples/sensor-publisher.ts
 */
import { connect } from 'midge/client';

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883';
const id = process.argv[2] ?? 'sensor-1';
const readings = Number(process.argv[3] ?? 5);
const status = `sensors/${id}/status`;

// The will is held by the broker and published only if the connection ends without
// a DISCONNECT. Retained, so a dashboard that starts later still learns the state.
const client = await connect(url, {
  clientId: id,
  will: { topic: status, payload: 'offline', qos: 1, retain: true },
});
await client.publish(status, 'online', { qos: 1, retain: true });

for (let i = 0; i < readings; i++) {
  if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
  const celsius = (20 + Math.random() * 5).toFixed(1);
  // QoS 1: publish() resolves when the broker's PUBACK arrives.
  await client.publish(`sensors/${id}/temperature`, celsius, { qos: 1 });
  console.log(`${id}: published ${celsius}`);
}

// A clean goodbye discards the will, so the sensor sets its status itself.
await client.publish(status, 'offline', { qos: 1, retain: true });
await client.end();
