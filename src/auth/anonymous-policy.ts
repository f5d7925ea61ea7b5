import type { AuthenticationResult, Authenticator, ConnectCredentials } from '../broker/ports/auth.js';
import { ReasonCode } from '../protocol/index.js';

/**
 * The rule for a listener without a password file, as Mosquitto 2 applies it:
 * with `allow_anonymous true` everyone is admitted; with `allow_anonymous false`
 * nobody is, since no credential can be checked (0x87 Not authorized; 3.1.1: 5).
 */
export class AnonymousPolicyAuthenticator implements Authenticator {
  readonly name = 'anonymous-policy';

  constructor(readonly allowAnonymous: boolean) {}

  authenticate(credentials: ConnectCredentials): AuthenticationResult {
    if (this.allowAnonymous) return { outcome: 'allow' };
    const who = credentials.username === undefined ? 'anonymous clients are' : 'no password file is configured, so clients are';
    return { outcome: 'deny', reasonCode: ReasonCode.NotAuthorized, reason: `${who} not allowed` };
  }
}
