import type { AuthenticationResult, Authenticator, ConnectCredentials, PeerCertificateInfo } from '../broker/ports/auth.js';
import { ReasonCode } from '../protocol/index.js';

/**
 * How a TLS listener turns a verified client certificate into the user name:
 * `common-name` is Mosquitto's `use_identity_as_username`, `subject` its
 * `use_subject_as_username` (the RFC 2253 subject, e.g. `CN=sensor-1,O=Acme`).
 */
export type CertificateIdentity = 'common-name' | 'subject';

function refuse(reason: string): AuthenticationResult {
  return { outcome: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reason };
}

/**
 * Mosquitto's use_identity_as_username / use_subject_as_username (handle_connect.c): the user
 * name comes from the certificate, and a client without a usable one is refused with 0x86
 * Bad User Name or Password (3.1.1: return code 4), as Mosquitto answers.
 */
export function identityFromCertificate(certificate: PeerCertificateInfo | undefined, identity: CertificateIdentity): AuthenticationResult {
  if (!certificate) return refuse('no client certificate');
  if (identity === 'subject') {
    if (!certificate.subject) return refuse('client certificate has an empty subject');
    return { outcome: 'allow', username: certificate.subject };
  }
  const commonName = certificate.commonName;
  if (!commonName) return refuse('client certificate has no common name');
  // Mosquitto refuses a CN with an embedded NUL, which could otherwise impersonate a shorter name.
  if (commonName.includes('\u0000')) return refuse('client certificate common name contains NUL');
  return { outcome: 'allow', username: commonName };
}

/**
 * Authenticates by client certificate alone, for a TLS listener with `use_identity_as_username`
 * or `use_subject_as_username` and no password file. (With a password file, use
 * the `certificateIdentity` option of `PasswordFileAuthenticator` instead: as in Mosquitto, the
 * certificate then replaces the password check rather than adding to it.)
 */
export class CertificateIdentityAuthenticator implements Authenticator {
  /** Name for logs. */
  readonly name = 'certificate-identity';

  /** @param identity - which part of the certificate becomes the user name */
  constructor(readonly identity: CertificateIdentity) {}

  /** Allows with the certificate's user name, or refuses with 0x86. */
  authenticate(credentials: ConnectCredentials): AuthenticationResult {
    return identityFromCertificate(credentials.certificate, this.identity);
  }
}
