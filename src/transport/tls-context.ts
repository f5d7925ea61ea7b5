import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { PeerCertificateInfo } from '../broker/index.js';
import { checkCaFile, checkCiphers, checkCrl, checkServerIdentity, readTlsFile } from './tls-files.js';
import { certificateRevocationId } from './crl.js';

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

function readCaPath(capath: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(capath).sort();
  } catch (err) {
    throw new Error(`Unable to read CA directory "${capath}": ${(err as NodeJS.ErrnoException).code ?? String(err)}. Check capath.`);
  }
  return names.filter((name) => /\.(pem|crt|\d+)$/.test(name)).map((name) => {
    const path = join(capath, name);
    const pem = readTlsFile(path, 'CA certificate file', 'capath');
    checkCaFile(pem, path, 'capath');
    return pem;
  });
}

/**
 * Reads the files of a TLS listener into secure-context options, checking each: a
 * failure names the file, what is wrong with it and the setting to check (`Unable to
 * load server key file "...": it holds a certificate, not a private key. Check
 * keyfile.`), never OpenSSL's bare `key values mismatch`. Called again on reload
 * (SIGHUP), so new certificates apply to new connections without a restart.
 */
export function readTlsContext(files: TlsFiles): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  const cert = readTlsFile(files.certfile, 'server certificate file', 'certfile');
  const key = readTlsFile(files.keyfile, 'server key file', 'keyfile');
  checkServerIdentity(cert, files.certfile, key, files.keyfile);
  const ca: Buffer[] = [];
  if (files.cafile) {
    const pem = readTlsFile(files.cafile, 'CA certificate file', 'cafile');
    checkCaFile(pem, files.cafile, 'cafile');
    ca.push(pem);
  }
  if (files.capath) ca.push(...readCaPath(files.capath));
  const crl = files.crlfile ? readTlsFile(files.crlfile, 'certificate revocation list', 'crlfile') : undefined;
  if (crl && files.crlfile) checkCrl(crl, files.crlfile);
  checkCiphers(files.ciphers);
  const minVersion = files.tlsVersion ? versions[files.tlsVersion.toLowerCase()] : undefined;
  if (files.tlsVersion && !minVersion) throw new Error(`unknown tls_version '${files.tlsVersion}'`);
  return {
    cert,
    key,
    ca: ca.length > 0 ? ca : undefined,
    crl,
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
  return { subject: [...parts].reverse().join(','), commonName, fingerprint256: cert.fingerprint256, revocationId: revocationIdOf(cert.raw) };
}

/** The certificate's revocation id; undefined for bytes OpenSSL accepted but this reader does not follow. */
function revocationIdOf(raw: Buffer): string | undefined {
  try {
    return certificateRevocationId(raw);
  } catch {
    return undefined;
  }
}
