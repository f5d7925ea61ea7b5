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

/**
 * Nothing listens at the gateway's address: its host answered a datagram with ICMP port
 * unreachable, which a connected UDP socket reports as ECONNREFUSED. No retransmission
 * can help, so every request fails at once instead of after Nretry times Tretry.
 */
export class SnUnreachableError extends Error {
  override readonly name = 'SnUnreachableError';
}

interface Waiter {
  matches(m: SnPlainMessage): boolean;
  resolve(m: SnPlainMessage): void;
  reject(error: Error): void;
}

/**
 * One UDP socket to one gateway: sends messages, hands received ones to a listener,
 * and runs the client's retransmission procedure for requests [MQTT-SN-1.2 6.13].
 * The socket is connected to the gateway (as mqtt-sn-tools does), so the kernel drops
 * datagrams from anyone else and reports an ICMP port unreachable as ECONNREFUSED.
 * Datagrams that are not well-formed MQTT-SN are ignored.
 */
export class SnTransport {
  private waiters: Waiter[] = [];
  private closed = false;
  /** Set once the gateway's host said nothing listens there. */
  private unreachable: SnUnreachableError | undefined;
  /** Datagrams handed to the socket and not yet sent, so close() does not drop them. */
  private sending = 0;
  private drained: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
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
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') this.failAll(new SnUnreachableError(`no MQTT-SN gateway at ${options.host}:${options.port} (port unreachable)`));
    });
  }

  /** Resolves the host, binds a socket of its family and connects it to the gateway. */
  static async open(options: SnTransportOptions, onMessage: (m: SnPlainMessage) => void): Promise<SnTransport> {
    const address = isIP(options.host) !== 0 ? options.host : (await lookup(options.host)).address;
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.localPort ?? 0, () => {
        socket.connect(options.port, address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
    return new SnTransport(socket, options, onMessage);
  }

  /** Fails every request waiting, and every later one, with `error`. */
  private failAll(error: SnUnreachableError): void {
    this.unreachable = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** The local port datagrams are sent from. */
  get localPort(): number {
    return this.socket.address().port;
  }

  send(message: SnPlainMessage): void {
    if (this.closed) return;
    this.options.trace?.('out', message);
    this.sending++;
    this.socket.send(encodeSnDatagram({ message, forwarder: this.options.forwarder }), () => {
      if (--this.sending === 0) for (const done of this.drained.splice(0)) done();
    });
  }

  /** Waits for a message without sending anything; rejects after `timeoutMs`, or at once when the gateway is unreachable. */
  waitFor(matches: (m: SnPlainMessage) => boolean, timeoutMs: number): Promise<SnPlainMessage> {
    return new Promise((resolve, reject) => {
      if (this.unreachable) return reject(this.unreachable);
      const waiter: Waiter = {
        matches,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
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
