#!/usr/bin/env node
// A minimal Aedes 1.x broker for `npm run bench`: plain TCP, in memory, no auth,
// the same as ../shared/tools/mqbench/aedes-server.mjs. Env: PORT, HOST. Stops on SIGTERM.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.env.PORT ?? 1883);
const host = process.env.HOST ?? '127.0.0.1';
const broker = await Aedes.createBroker();
broker.on('clientError', () => {});
broker.on('connectionError', () => {});

const server = createServer(broker.handle);
server.listen(port, host);

const stop = () => {
  server.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
