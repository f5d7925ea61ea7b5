import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import type { DialTlsOptions } from '../../transport/dial.js';
import { CliError } from '../errors.js';

/** The TLS flags of mosquitto's tools. */
export interface TlsFlags {
  cafile?: string;
  capath?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  tlsVersion?: string;
  ciphers?: string;
}

const tlsVersions: Readonly<Record<string, SecureVersion>> = { 'tlsv1.3': 'TLSv1.3', 'tlsv1.2': 'TLSv1.2', 'tlsv1.1': 'TLSv1.1' };

/** TLS settings from the flags, and whether they ask for TLS at all. */
export interface TlsSetup {
  /** `--cafile`, `--capath` and `--cert` turn TLS on, as in mosquitto. */
  turnsOn: boolean;
  options: DialTlsOptions;
}

/**
 * TLS options from the flags. Flags that only tune TLS (`--insecure`,
 * `--tls-version`, `--ciphers`) do not turn it on; they matter with `-L mqtts://`.
 * `--insecure` keeps the certificate chain check and skips only the host name check.
 */
export function tlsOptionsFrom(flags: TlsFlags): TlsSetup {
  if ((flags.cert === undefined) !== (flags.key === undefined)) {
    throw new CliError('Both certfile and keyfile must be provided if one of them is set.');
  }
  const options: DialTlsOptions = {};
  const ca = [
    ...(flags.cafile !== undefined ? [readPem(flags.cafile, 'CA file')] : []),
    ...(flags.capath !== undefined ? readCaDirectory(flags.capath) : []),
  ];
  if (ca.length > 0) options.ca = ca;
  if (flags.cert !== undefined) options.cert = readPem(flags.cert, 'certificate file');
  if (flags.key !== undefined) options.key = readPem(flags.key, 'key file');
  if (flags.insecure) options.checkServerIdentity = () => undefined;
  if (flags.tlsVersion !== undefined) {
    const version = tlsVersions[flags.tlsVersion.toLowerCase()];
    if (!version) throw new CliError(`Invalid TLS version '${flags.tlsVersion}' (use tlsv1.3, tlsv1.2 or tlsv1.1).`);
    options.minVersion = version;
  }
  if (flags.ciphers !== undefined) options.ciphers = flags.ciphers;
  return { turnsOn: flags.cafile !== undefined || flags.capath !== undefined || flags.cert !== undefined, options };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`Unable to load ${what} "${path}": ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
}

function readCaDirectory(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new CliError(`Unable to read CA directory "${dir}": ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  return names.filter((n) => /\.(pem|crt)$/i.test(n)).sort().map((n) => readPem(join(dir, n), 'CA file'));
}
