#!/usr/bin/env node
// A minimal Aedes 1.x broker for `npm run bench`: plain TCP, in memory, no auth,
// the same as ../shared/tools/mqbench/aedes-server.mjs. Env: PORT, HOST; for the
// secure scenarios also TLS_PORT with TLS_CERT and TLS_KEY (and TLS_CA to require
// client certificates), or WS_PORT (MQTT over WebSocket). Stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';

const port = Number(process.env.PORT ?? 1883);
const host = process.env.HOST ?? '127.0.0.1';
const broker = await Aedes.createBroker();
broker.on('clientError', () => {});
broker.on('connectionError', () => {});

const servers = [createServer(broker.handle)];
servers[0].listen(port, host);
if (process.env.TLS_PORT) {
  const ca = process.env.TLS_CA ? readFileSync(process.env.TLS_CA) : undefined;
  const tls = createTlsServer({
    cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY),
    ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined,
  }, broker.handle);
  tls.on('tlsClientError', () => {});
  tls.listen(Number(process.env.TLS_PORT), host);
  servers.push(tls);
}
if (process.env.WS_PORT) {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  // ws over a plain HTTP server, as Aedes' own examples do.
  const web = createHttpServer();
  web.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => broker.handle(createWebSocketStream(ws), req)));
  web.listen(Number(process.env.WS_PORT), host);
  servers.push(web);
}

const stop = () => {
  for (const s of servers) s.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
