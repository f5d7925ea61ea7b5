import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { PeerCertificateInfo } from '../broker/index.js';

/** Certificate files of a TLS listener, as mosquitto names them. */
export interface TlsFiles {
  certfile: string;
  keyfile: string;
  cafile: string | undefined;
  capath: string | undefined;
  crlfile: string | undefined;
  ciphers: string | undefined;
  /** `tlsv1.2`, `tlsv1.3`, ...: the lowest version accepted. */
  tlsVersion: string | undefined;
  /** Ask for a client certificate and refuse clients without a valid one. */
  requireCertificate: boolean;
}

const versions: Record<string, SecureContextOptions['minVersion']> = {
  'tlsv1': 'TLSv1', 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3',
};

/**
 * Reads the files of a TLS listener into secure-context options. Called again on
 * reload (SIGHUP), so new certificates apply to new connections without a restart.
 */
export function readTlsContext(files: TlsFiles): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  const ca: Buffer[] = [];
  if (files.cafile) ca.push(readFileSync(files.cafile));
  if (files.capath) {
    for (const name of readdirSync(files.capath).sort()) {
      if (/\.(pem|crt|\d+)$/.test(name)) ca.push(readFileSync(join(files.capath, name)));
    }
  }
  const minVersion = files.tlsVersion ? versions[files.tlsVersion.toLowerCase()] : undefined;
  if (files.tlsVersion && !minVersion) throw new Error(`unknown tls_version '${files.tlsVersion}'`);
  return {
    cert: readFileSync(files.certfile),
    key: readFileSync(files.keyfile),
    ca: ca.length > 0 ? ca : undefined,
    crl: files.crlfile ? readFileSync(files.crlfile) : undefined,
    ciphers: files.ciphers,
    minVersion,
    requestCert: files.requireCertificate,
    rejectUnauthorized: files.requireCertificate,
  };
}

/**
 * What the broker learns of a verified client certificate: the subject in RFC 2253
 * order (most specific first, as Mosquitto's `use_subject_as_username` gives it),
 * the Common Name and the SHA-256 fingerprint.
 */
export function peerCertificate(socket: TLSSocket): PeerCertificateInfo | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerX509Certificate?.();
  if (!cert) return undefined;
  const parts = cert.subject.split('\n').filter((l) => l.length > 0);
  const commonName = parts.find((p) => p.startsWith('CN='))?.slice(3);
  return { subject: [...parts].reverse().join(','), commonName, fingerprint256: cert.fingerprint256 };
}
