import { readFileSync } from 'node:fs';

/**
 * Which certificates a CRL revokes, read well enough to re-check the connections that
 * are already open when a new CRL is loaded (OpenSSL checks new handshakes itself but
 * never looks at an established session again). A certificate is named the way a CRL
 * names it: its issuer's distinguished name (DER) and its serial number, as one
 * opaque string (see {@link certificateRevocationId}). The CRL's signature is not
 * checked here: the file is the operator's, and the same file was just loaded into
 * the listener's secure context, which does check it.
 */

/** One DER element: its tag, where its contents are, and where it ends. */
interface Element {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** The element at `offset`; throws on anything truncated or longer than the buffer. */
function elementAt(der: Buffer, offset: number): Element {
  if (offset + 2 > der.length) throw new Error('truncated DER');
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || contentStart + bytes > der.length) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element. */
function childrenOf(der: Buffer, parent: Element): Element[] {
  const children: Element[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = elementAt(der, at);
    children.push(child);
    at = child.end;
  }
  return children;
}

function expectTag(element: Element | undefined, tag: number, what: string): Element {
  if (!element || element.tag !== tag) throw new Error(`not a ${what}`);
  return element;
}

/** A serial number as hex without leading zero octets, so both encodings of one number compare equal. */
function serialHex(der: Buffer, integer: Element): string {
  let start = integer.contentStart;
  while (start < integer.end - 1 && der[start] === 0) start++;
  return der.subarray(start, integer.end).toString('hex').toUpperCase();
}

function revocationId(der: Buffer, issuer: Element, serial: Element): string {
  return `${der.subarray(issuer.start, issuer.end).toString('hex')}/${serialHex(der, serial)}`;
}

/**
 * The name a CRL would give this certificate (issuer and serial number), from its DER
 * encoding (`X509Certificate.raw`). Throws when the bytes are not a certificate.
 */
export function certificateRevocationId(raw: Buffer): string {
  const certificate = expectTag(elementAt(raw, 0), SEQUENCE, 'certificate');
  const tbs = childrenOf(raw, expectTag(childrenOf(raw, certificate)[0], SEQUENCE, 'certificate'));
  // The version is an explicitly tagged [0] that may be absent (v1).
  const first = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const serial = expectTag(tbs[first], INTEGER, 'serial number');
  const issuer = expectTag(tbs[first + 2], SEQUENCE, 'issuer name');
  return revocationId(raw, issuer, serial);
}

/** The revocation ids of one DER CertificateList (RFC 5280 section 5.1). */
function revokedInCrl(der: Buffer): string[] {
  const list = expectTag(elementAt(der, 0), SEQUENCE, 'CRL');
  const tbs = childrenOf(der, expectTag(childrenOf(der, list)[0], SEQUENCE, 'CRL'));
  let at = tbs[0]?.tag === INTEGER ? 1 : 0;
  at++; // signature algorithm
  const issuer = expectTag(tbs[at++], SEQUENCE, 'CRL issuer');
  at++; // thisUpdate
  const next = tbs[at];
  if (next && (next.tag === UTC_TIME || next.tag === GENERALIZED_TIME)) at++;
  const revoked = tbs[at];
  if (!revoked || revoked.tag !== SEQUENCE) return [];
  return childrenOf(der, revoked).map((entry) => revocationId(der, issuer, expectTag(childrenOf(der, entry)[0], INTEGER, 'revoked serial')));
}

/** The DER bodies of the CRLs in a file: PEM blocks, or the whole file when it has none. */
function crlBodies(file: Buffer): Buffer[] {
  const text = file.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)];
  if (blocks.length === 0) return [file];
  return blocks.map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

/**
 * The revocation ids of every certificate the CRL file (PEM, one or more CRLs, or one
 * DER CRL) revokes. Throws with the file's name when it cannot be read.
 */
export function readRevokedCertificates(path: string): Set<string> {
  try {
    return new Set(crlBodies(readFileSync(path)).flatMap(revokedInCrl));
  } catch (err) {
    throw new Error(`crlfile ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
