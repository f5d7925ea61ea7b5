import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/** Why a file could not be read, in words. */
function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied (is it readable by the user midge runs as?)';
  if (code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}

/** OpenSSL's reason without its `error:0A00...:` prefix: `no start line`, `key values mismatch`. */
function opensslReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split(':').filter((part) => part.trim() !== '').at(-1)?.trim() ?? text;
}

/** A file of a TLS listener that cannot be used, named with its setting, as mosquitto does. */
function fileError(what: string, path: string, problem: string, setting: string): Error {
  return new Error(`Unable to load ${what} "${path}": ${problem}. Check ${setting}.`);
}

/** Reads one file of a listener; a failure names the file and the setting to check. */
export function readTlsFile(path: string, what: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw fileError(what, path, readProblem(err), setting);
  }
}

function parseCertificate(pem: Buffer, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    const problem = pem.includes('PRIVATE KEY') ? 'it holds a private key, not a certificate (are certfile and keyfile swapped?)'
      : `not a PEM certificate (${opensslReason(err)})`;
    throw fileError('server certificate file', path, problem, 'certfile');
  }
}

function parseKey(pem: Buffer, path: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    const text = pem.toString('latin1');
    const problem = text.includes('ENCRYPTED') ? 'the key is encrypted with a passphrase; midge needs it unencrypted (openssl pkey -in KEY -out PLAIN)'
      : text.includes('CERTIFICATE') && !text.includes('PRIVATE KEY') ? 'it holds a certificate, not a private key (are certfile and keyfile swapped?)'
        : `not a PEM private key (${opensslReason(err)})`;
    throw fileError('server key file', path, problem, 'keyfile');
  }
}

/** Checks one setting by building a secure context with it alone; OpenSSL's reason is kept. */
function checkWith(options: SecureContextOptions, what: string, path: string, setting: string): void {
  try {
    createSecureContext(options);
  } catch (err) {
    throw fileError(what, path, opensslReason(err), setting);
  }
}

/** The certificate, key and their match: each failure names the file and what is wrong with it. */
export function checkServerIdentity(cert: Buffer, certPath: string, key: Buffer, keyPath: string): void {
  const certificate = parseCertificate(cert, certPath);
  const privateKey = parseKey(key, keyPath);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error(`Server key file "${keyPath}" does not match certificate file "${certPath}" (the key values differ). Check keyfile and certfile.`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** A CA file: one or more PEM certificates, each of which must parse (OpenSSL skips what it cannot read). */
export function checkCaFile(pem: Buffer, path: string, setting: string): void {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw fileError('CA certificates from', path, 'no PEM certificate in it', setting);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw fileError('CA certificates from', path, `a certificate in it does not parse (${opensslReason(err)})`, setting);
    }
  }
}

/** The CRL must load. */
export function checkCrl(crl: Buffer, path: string): void {
  checkWith({ crl }, 'certificate revocation list', path, 'crlfile');
}

/** Cipher list: OpenSSL refuses one that matches nothing. */
export function checkCiphers(ciphers: string | undefined): void {
  if (ciphers === undefined) return;
  try {
    createSecureContext({ ciphers });
  } catch (err) {
    throw new Error(`ciphers '${ciphers}' is not usable: ${opensslReason(err)}. Check ciphers.`);
  }
}
