#!/usr/bin/env node
// The floor of any Node.js broker for the connection scenarios (`--brokers node-floor`):
// bare `node:net` / `node:tls` servers that answer each CONNECT with a CONNACK and do
// nothing else (no sessions, no routing, no logging). What it costs per connection is
// what Node's socket (and TLSSocket with OpenSSL) costs; what midge spends above it is
// midge's. Env: PORT, HOST; TLS_PORT with TLS_CERT and TLS_KEY (and TLS_CA to require
// client certificates), as for the Aedes server. Stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

const host = process.env.HOST ?? '127.0.0.1';
const CONNACK = Buffer.from([0x20, 2, 0, 0]);
const CONNECT = 0x10;

/** Answers a CONNECT (the first packet of a connection) with a CONNACK; ignores the rest. */
function answer(socket) {
  socket.on('error', () => {});
  socket.once('data', (chunk) => {
    if (chunk[0] === CONNECT) socket.write(CONNACK);
    else socket.destroy();
  });
}

const servers = [createServer({ noDelay: true }, answer)];
servers[0].listen(Number(process.env.PORT ?? 1883), host);
if (process.env.TLS_PORT) {
  const ca = process.env.TLS_CA ? readFileSync(process.env.TLS_CA) : undefined;
  const tls = createTlsServer({
    cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY),
    ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined, noDelay: true,
  }, answer);
  tls.on('tlsClientError', (_err, socket) => socket.destroy());
  tls.listen(Number(process.env.TLS_PORT), host);
  servers.push(tls);
}

process.once('SIGTERM', () => {
  for (const server of servers) server.close();
  process.exit(0);
});
