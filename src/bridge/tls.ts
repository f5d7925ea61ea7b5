import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientOptions } from '../client/index.js';
import type { BridgeTls } from './options.js';

type TlsOptions = NonNullable<ClientOptions['tls']>;

const versions: Readonly<Record<string, TlsOptions['minVersion']>> = {
  'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3',
};

/**
 * The client's TLS settings for a bridge, read from its files at each connection attempt
 * (so renewed certificates are used without a restart). The remote certificate is always
 * verified; `bridge_insecure` only skips the host name check, as in mosquitto.
 * `bridge_tls_version` is the lowest version spoken, as mosquitto's client library reads it
 * (a remote that speaks a later one gets that). `bridge_capath` holds `*.crt`/`*.pem` files.
 */
export function bridgeTlsOptions(tls: BridgeTls): TlsOptions {
  const ca: Buffer[] = [];
  if (tls.cafile) ca.push(readFileSync(tls.cafile));
  if (tls.capath) {
    for (const name of readdirSync(tls.capath).sort()) {
      if (/\.(pem|crt|\d+)$/.test(name)) ca.push(readFileSync(join(tls.capath, name)));
    }
  }
  const options: TlsOptions = { rejectUnauthorized: true };
  if (ca.length > 0) options.ca = ca;
  if (tls.certfile && tls.keyfile) {
    options.cert = readFileSync(tls.certfile);
    options.key = readFileSync(tls.keyfile);
  }
  if (tls.insecure) options.checkServerIdentity = () => undefined;
  const version = tls.version === undefined ? undefined : versions[tls.version];
  if (version) options.minVersion = version;
  if (tls.alpn) options.ALPNProtocols = [tls.alpn];
  return options;
}
