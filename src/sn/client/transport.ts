import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  decodeSnDatagram, encodeSnDatagram, isSnDecodeError, SnMsgType, type SnForwarder, type SnPlainMessage,
} from '../protocol/index.js';

/** Where a client's datagrams go, and the forwarder encapsulation it uses, if any. */
export interface SnTransportOptions {
  host: string;
  port: number;
  /** Local port to send from; 0 or undefined: any. */
  localPort?: number;
  /** Wrap every message as if relayed by this forwarder [MQTT-SN-1.2 5.5]. */
  forwarder?: SnForwarder;
  /** Seconds before an unanswered request is sent again [MQTT-SN-1.2 6.13]. */
  tRetry: number;
  /** Retransmissions before the request fails [MQTT-SN-1.2 6.13]. */
  nRetry: number;
  /** Sees every message sent and received (for `-d`). */
  trace?: (direction: 'in' | 'out', message: SnPlainMessage) => void;
}

/** A request that got no answer after Nretry retransmissions [MQTT-SN-1.2 6.13]. */
export class SnTimeoutError extends Error {
  override readonly name = 'SnTimeoutError';
}

interface Waiter {
  matches(m: SnPlainMessage): boolean;
  resolve(m: SnPlainMessage): void;
}

/**
 * One UDP socket to one gateway: sends messages, hands received ones to a listener,
 * and runs the client's retransmission procedure for requests [MQTT-SN-1.2 6.13].
 * Datagrams that are not well-formed MQTT-SN, or come from elsewhere, are ignored.
 */
export class SnTransport {
  private waiters: Waiter[] = [];
  private closed = false;
  /** Datagrams handed to the socket and not yet sent, so close() does not drop them. */
  private sending = 0;
  private drained: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
    private readonly address: string,
    private readonly options: SnTransportOptions,
    onMessage: (m: SnPlainMessage) => void,
  ) {
    socket.on('message', (datagram, rinfo) => {
      if (rinfo.port !== options.port) return;
      let message: SnPlainMessage;
      try {
        message = decodeSnDatagram(datagram).message;
      } catch (err) {
        if (isSnDecodeError(err)) return;
        throw err;
      }
      options.trace?.('in', message);
      const at = this.waiters.findIndex((w) => w.matches(message));
      if (at >= 0) this.waiters.splice(at, 1)[0]!.resolve(message);
      else onMessage(message);
    });
    socket.on('error', () => undefined);
  }

  /** Resolves the host and binds a socket of its family. */
  static async open(options: SnTransportOptions, onMessage: (m: SnPlainMessage) => void): Promise<SnTransport> {
    const address = isIP(options.host) !== 0 ? options.host : (await lookup(options.host)).address;
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.localPort ?? 0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new SnTransport(socket, address, options, onMessage);
  }

  /** The local port datagrams are sent from. */
  get localPort(): number {
    return this.socket.address().port;
  }

  send(message: SnPlainMessage): void {
    if (this.closed) return;
    this.options.trace?.('out', message);
    this.sending++;
    this.socket.send(encodeSnDatagram({ message, forwarder: this.options.forwarder }), this.options.port, this.address, () => {
      if (--this.sending === 0) for (const done of this.drained.splice(0)) done();
    });
  }

  /** Waits for a message without sending anything; rejects after `timeoutMs`. */
  waitFor(matches: (m: SnPlainMessage) => boolean, timeoutMs: number): Promise<SnPlainMessage> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new SnTimeoutError('no answer from the gateway'));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Sends a request and resolves with the first message that `matches`; sent again
   * every Tretry, with DUP set for PUBLISH and SUBSCRIBE, at most Nretry times.
   */
  async request(message: SnPlainMessage, matches: (m: SnPlainMessage) => boolean): Promise<SnPlainMessage> {
    const tRetryMs = this.options.tRetry * 1000;
    for (let attempt = 0; attempt <= this.options.nRetry; attempt++) {
      const again = attempt > 0 && (message.type === SnMsgType.PUBLISH || message.type === SnMsgType.SUBSCRIBE);
      const answer = this.waitFor(matches, tRetryMs);
      this.send(again ? { ...message, dup: true } : message);
      try {
        return await answer;
      } catch (err) {
        if (!(err instanceof SnTimeoutError) || this.closed) throw err;
      }
    }
    throw new SnTimeoutError(`no answer from the gateway after ${this.options.nRetry} retransmissions`);
  }

  /** Closes the socket once what was sent has left it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sending > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
