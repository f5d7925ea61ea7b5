import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsFiles } from '../../src/transport/index.js';

/** Paths of certificates made for one test run. */
export interface TestCertificates {
  dir: string;
  /** The CA that signed everything below. */
  caCert: string;
  caKey: string;
  /** Server certificate for 127.0.0.1, ::1 and localhost. */
  serverCert: string;
  serverKey: string;
  /** Client certificate with CN=`clientCommonName`. */
  clientCert: string;
  clientKey: string;
  clientCommonName: string;
  /** Issues another client certificate signed by the same CA. */
  issueClient(commonName: string, organisation?: string): { cert: string; key: string };
  /** Writes a CRL signed by the CA that revokes the given certificates (none: an empty CRL); returns its path. */
  writeCrl(revoked: string[], name?: string): string;
  /** Issues another server certificate signed by the same CA, naming only `dnsName`. */
  issueServer(dnsName: string): { cert: string; key: string };
  /** Removes the directory. */
  cleanup(): void;
}

/** Path of Debian's openssl. */
export const OPENSSL = '/usr/bin/openssl';

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Makes a CA, a server certificate and a client certificate with openssl in a
 * fresh temp dir (EC P-256 keys: quick to generate). Nothing is reused between runs.
 */
export function makeCertificates(clientCommonName = 'sensor-1'): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'midge-certs-'));
  const p = (name: string) => join(dir, name);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=midge test CA', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'server', '/CN=localhost', 'server.ext');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const issueClient = (commonName: string, organisation = 'midge tests') => {
    const base = `client-${commonName.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    issue(dir, base, `/O=${organisation}/CN=${commonName}`, 'client.ext');
    return { cert: p(`${base}.crt`), key: p(`${base}.key`) };
  };
  const client = issueClient(clientCommonName);
  const issueServer = (dnsName: string) => {
    const base = `server-${dnsName.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    writeFileSync(p(`${base}.ext`), `subjectAltName=DNS:${dnsName}\nextendedKeyUsage=serverAuth\n`);
    issue(dir, base, `/CN=${dnsName}`, `${base}.ext`);
    return { cert: p(`${base}.crt`), key: p(`${base}.key`) };
  };
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: client.cert,
    clientKey: client.key,
    clientCommonName,
    issueClient,
    writeCrl: (revoked, name = 'crl.pem') => writeCrl(dir, revoked, name),
    issueServer,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `openssl ca` keeps its revocations in a database; each CRL starts from a fresh one. */
function writeCrl(dir: string, revoked: string[], name: string): string {
  const base = join(dir, `${name}.ca`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base);
  writeFileSync(join(base, 'index.txt'), '');
  writeFileSync(join(base, 'crlnumber'), '1000\n');
  writeFileSync(join(base, 'ca.cnf'), `[ca]\ndefault_ca = own\n[own]\ndatabase = ${base}/index.txt\ncrlnumber = ${base}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 2\n`);
  const ca = ['-config', join(base, 'ca.cnf'), '-keyfile', 'ca.key', '-cert', 'ca.crt'];
  for (const cert of revoked) openssl(['ca', ...ca, '-revoke', cert], dir);
  openssl(['ca', ...ca, '-gencrl', '-out', name], dir);
  return join(dir, name);
}

function issue(dir: string, base: string, subject: string, extFile: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject,
    '-keyout', `${base}.key`, '-out', `${base}.csr`], dir);
  openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', extFile, '-out', `${base}.crt`], dir);
}

/** TLS listener settings serving these certificates, trusting their CA for client certificates. */
export function serverTlsFiles(certs: TestCertificates, requireCertificate = false): TlsFiles {
  return {
    certfile: certs.serverCert, keyfile: certs.serverKey, cafile: certs.caCert, capath: undefined, crlfile: undefined,
    ciphers: undefined, tlsVersion: undefined, requireCertificate,
  };
}
