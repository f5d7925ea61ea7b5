// Set-up of the TLS and WebSocket scenarios: certificates made at run time with openssl
// (a CA, a server certificate for 127.0.0.1 and a client certificate, P-256 keys), a free
// port for the secure listener, and each broker's configuration for it. The plain listener
// stays on ctx.port (the runner probes it); the generator loads ctx.loadPort.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.mjs';

/** Makes the certificates once per bench directory; returns their paths. */
export function benchCertificates(dir) {
  const d = join(dir, 'certs');
  const files = { ca: join(d, 'ca.crt'), cert: join(d, 'server.crt'), key: join(d, 'server.key'), clientCert: join(d, 'client.crt'), clientKey: join(d, 'client.key') };
  if (existsSync(files.clientCert)) return files;
  mkdirSync(d, { recursive: true });
  const ssl = (...args) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=midge-bench-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  writeFileSync(join(d, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt');
  ssl('req', ...ec, '-subj', '/CN=midge-bench-device', '-keyout', 'client.key', '-out', 'client.csr');
  ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.crt');
  // Mosquitto started as root reads its files as the user mosquitto: throwaway keys may be readable.
  chmodSync(dir, 0o755);
  chmodSync(d, 0o755);
  for (const name of readdirSync(d)) chmodSync(join(d, name), 0o644);
  return files;
}

/**
 * The set-up of one run of a secure scenario: `kind` is 'tls', 'tls-cert' (client
 * certificates required) or 'ws'. Sets ctx.secure; returns { loadPort, env } (env tells
 * the Aedes server what to open).
 */
export async function secureListener(ctx, kind) {
  const certs = benchCertificates(ctx.dir);
  const loadPort = await freePort();
  ctx.secure = { kind, certs, loadPort };
  const env = kind === 'ws'
    ? { WS_PORT: String(loadPort) }
    : { TLS_PORT: String(loadPort), TLS_CERT: certs.cert, TLS_KEY: certs.key, ...(kind === 'tls-cert' ? { TLS_CA: certs.ca } : {}) };
  return { loadPort, env };
}

/** The secure listener's lines in mosquitto.conf syntax (midge and Mosquitto read the same keys). */
export function listenerLines(ctx) {
  const { kind, certs, loadPort } = ctx.secure;
  if (kind === 'ws') return [`listener ${loadPort} 127.0.0.1`, 'protocol websockets'];
  return [`listener ${loadPort} 127.0.0.1`, `certfile ${certs.cert}`, `keyfile ${certs.key}`,
    ...(kind === 'tls-cert' ? [`cafile ${certs.ca}`, 'require_certificate true'] : [])];
}

/** midge: a configuration file with the plain listener first (--port overrides that one) and the secure one. */
export function midgeSecureArgs(ctx) {
  const file = join(ctx.dir, `midge-${ctx.port}.conf`);
  writeFileSync(file, ['allow_anonymous true', `listener ${ctx.port} 127.0.0.1`, ...listenerLines(ctx), ''].join('\n'));
  return ['-c', file];
}

/** `midge bench` flags of the secure transport: TLS pinned to `version`, the CA checked, client certificate when required. */
export function generatorFlags(ctx, version = '1.3') {
  const { kind, certs } = ctx.secure;
  if (kind === 'ws') return ['--ws'];
  return ['--tls', '--tls-version', version, '--cafile', certs.ca, ...(kind === 'tls-cert' ? ['--cert', certs.clientCert, '--key', certs.clientKey] : [])];
}
