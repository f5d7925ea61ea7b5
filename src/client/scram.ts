import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientAuthenticator, ClientAuthExchange } from './enhanced-auth.js';

/** More PBKDF2 iterations than this from a server is taken for an attack on the client's CPU. */
const MAX_ITERATIONS = 10_000_000;

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as an MQTT 5 enhanced authentication method, the
 * client's side: `new MqttClient(url, { protocolVersion: 5, authenticator: new
 * ScramSha256('alice', 'secret') })`. The password never leaves the client; the server
 * proves in its CONNACK that it holds the user's verifier, or the connection is refused.
 */
export class ScramSha256 implements ClientAuthenticator {
  readonly method = 'SCRAM-SHA-256';

  constructor(private readonly username: string, private readonly password: string) {}

  begin(): ScramSha256Exchange {
    return new ScramSha256Exchange(this.username, this.password);
  }
}

/** One SCRAM-SHA-256 exchange: client-first, client-final, and the check of server-final. */
export class ScramSha256Exchange implements ClientAuthExchange {
  private readonly clientNonce = randomBytes(18).toString('base64');
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | undefined;

  constructor(private readonly username: string, private readonly password: string) {}

  /** client-first-message: `n,,n=user,r=nonce` (no channel binding; `=` and `,` escaped in the name). */
  start(): Buffer {
    this.clientFirstBare = `n=${this.username.replaceAll('=', '=3D').replaceAll(',', '=2C')},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  /** server-first-message `r=...,s=...,i=...` in; client-final-message `c=biws,r=...,p=proof` out. */
  next(serverData: Buffer | undefined): Buffer {
    const serverFirst = serverData?.toString('utf8') ?? '';
    const fields = scramFields(serverFirst);
    const nonce = fields.get('r');
    const salt = fields.get('s');
    const iterations = Number(fields.get('i'));
    if (fields.has('e')) throw new Error(`the server says: ${fields.get('e')}`);
    if (!nonce?.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) throw new Error('the server nonce does not extend the client\'s');
    if (!salt || !Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) throw new Error('malformed server-first-message');
    // The server stores its verifier from the NFKC form of the password (its SASLprep stand-in).
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** server-final-message `v=signature`: the server proves it knows the verifier. */
  finish(serverData: Buffer | undefined): void {
    const fields = scramFields(serverData?.toString('utf8') ?? '');
    if (fields.has('e')) throw new Error(`the server says: ${fields.get('e')}`);
    const signature = Buffer.from(fields.get('v') ?? '', 'base64');
    const expected = this.expectedServerSignature;
    if (!expected || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new Error('the server did not prove that it knows the user\'s verifier');
    }
  }
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/** `a=1,b=2` as a map of attribute to value (values may contain `=`). */
function scramFields(message: string): Map<string, string> {
  return new Map(message.split(',').filter((f) => f.length >= 2 && f[1] === '=').map((f) => [f[0]!, f.slice(2)]));
}
