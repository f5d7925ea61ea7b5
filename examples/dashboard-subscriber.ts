/**
 * A dashboard: it follows every sensor's status and temperature with two wildcard
 * subscriptions and prints what arrives, retained messages first, until Ctrl-C.
 *
 *   node --import tsx examples/dashboard-subscriber.ts
 */
import { connect } from 'midge/client';

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883';
const client = await connect(url, { clientId: `dashboard-${process.pid}` });

// Ask for messages before subscribing: retained ones arrive right after the SUBACK.
const messages = client.messages();
await client.subscribe([
  { topicFilter: 'sensors/+/status', qos: 1 },
  { topicFilter: 'sensors/+/temperature', qos: 1 },
]);
console.log('dashboard: watching sensors/+/status and sensors/+/temperature');

// end() disconnects cleanly, which also ends the loop below.
process.once('SIGINT', () => void client.end());
process.once('SIGTERM', () => void client.end());

for await (const message of messages) {
  const [, sensor, kind] = message.topic.split('/');
  const stale = message.retain ? ' (retained: last known value)' : '';
  console.log(`${sensor} ${kind}: ${message.payload.toString()}${stale}`);
}
