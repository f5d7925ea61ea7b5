import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The client side of SCRAM-SHA-256 (RFC 5802), for tests: produces the
 * client-first and client-final messages and checks the server's signature.
 */
export class ScramClient {
  private readonly clientNonce = randomBytes(18).toString('base64');
  private clientFirstBare = '';
  private serverSignature = '';

  constructor(private readonly user: string, private readonly password: string) {}

  first(): Buffer {
    this.clientFirstBare = `n=${this.user.replaceAll('=', '=3D').replaceAll(',', '=2C')},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString();
    const fields = Object.fromEntries(text.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const nonce = fields.r!;
    if (!nonce.startsWith(this.clientNonce)) throw new Error('server nonce does not extend ours');
    const salted = pbkdf2Sync(this.password, Buffer.from(fields.s!, 'base64'), Number(fields.i), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    this.serverSignature = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** True when the server-final message proves the server knows the verifier. */
  verify(serverFinal: Buffer): boolean {
    return serverFinal.toString() === `v=${this.serverSignature}`;
  }
}
