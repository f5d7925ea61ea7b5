import { ScramSha256Exchange } from '../../src/client/index.js';

/**
 * The client side of SCRAM-SHA-256 (RFC 5802) for tests that drive the packets
 * themselves: the library's exchange, with the steps named as the RFC names them.
 */
export class ScramClient {
  private readonly exchange: ScramSha256Exchange;

  constructor(user: string, password: string) {
    this.exchange = new ScramSha256Exchange(user, password);
  }

  first(): Buffer {
    return this.exchange.start();
  }

  final(serverFirst: Buffer): Buffer {
    return this.exchange.next(serverFirst);
  }

  /** True when the server-final message proves the server knows the verifier. */
  verify(serverFinal: Buffer): boolean {
    try {
      this.exchange.finish(serverFinal);
      return true;
    } catch {
      return false;
    }
  }
}
