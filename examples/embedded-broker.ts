/**
 * A broker inside an application: `startServer` from `midge` binds the listeners,
 * the hooks tell the application what happens, and a `midge/client` in the same
 * process talks to it like any other client.
 *
 *   node --import tsx examples/embedded-broker.ts        (PORT=0 picks a free port)
 */
import { startServer } from 'midge';
import { connect } from 'midge/client';

const server = await startServer({
  listeners: [{ port: Number(process.env.PORT ?? 1883), host: '127.0.0.1', protocol: 'mqtt' }],
  // No store given: sessions and retained messages live in memory only.
  broker: { brokerName: 'embedded' },
  sysInterval: 0,
});
const port = server.listeners[0]!.port;
console.log(`broker listening on 127.0.0.1:${port}`);

// Hooks run synchronously inside the broker; on() returns the function that removes it.
const stopWatching = server.broker.hooks.on('clientConnected', (e) => console.log(`hook: ${e.clientId} connected`));
server.broker.hooks.on('messagePublished', (e) => console.log(`hook: ${e.message.topic} went to ${e.deliveries} subscriber(s)`));

const client = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'in-process-client' });
stopWatching();
const messages = client.messages();
await client.subscribe('app/#', { qos: 1 });
await client.publish('app/hello', 'from inside the application', { qos: 1 });
for await (const message of messages) {
  console.log(`client got ${message.topic}: ${message.payload.toString()}`);
  break;
}
await client.end();
// Closes the listeners, then the broker (v5 clients would get DISCONNECT 0x8B).
await server.close();
console.log('broker closed');
