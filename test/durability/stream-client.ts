import { connect, type Socket } from 'node:net';
import {
  PacketFramer, PacketType, decodePacket, encodePacket, type Packet, type PacketOf, type ProtocolVersion,
} from '../../src/protocol/index.js';
import { connectPacket, type RawConnectOptions } from '../helpers/raw-client.js';

/**
 * A minimal MQTT client for streaming tests: it hands every packet to a callback
 * as it arrives (the raw client collects them for later instead), so a test can
 * answer acknowledgements and keep a window of publishes in flight.
 */
export class StreamClient {
  private readonly framer = new PacketFramer();
  readonly closed: Promise<void>;
  /** Packets that arrived while nobody listened (those after CONNACK in its chunk); onPacket replays them. */
  private backlog: Packet[] = [];
  private handler: (packet: Packet) => void = (p) => this.backlog.push(p);

  private constructor(readonly socket: Socket, readonly version: ProtocolVersion) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk, (first, body) => this.handler(decodePacket(first, body, this.version)));
    });
  }

  /** Connects and waits for CONNACK (bounded). */
  static async connect(port: number, options: RawConnectOptions): Promise<{ client: StreamClient; connack: PacketOf<2> }> {
    const version = options.version ?? 4;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const client = new StreamClient(socket, version);
    const connack = await client.waitFor((p): p is PacketOf<2> => p.type === PacketType.CONNACK, 5000, 'CONNACK', () => {
      client.send(connectPacket(options));
    });
    return { client, connack };
  }

  /** Every packet from now on goes to `handler`. */
  onPacket(handler: (packet: Packet) => void): void {
    this.handler = handler;
    const backlog = this.backlog;
    this.backlog = [];
    for (const p of backlog) handler(p);
  }

  send(packet: Packet): void {
    if (!this.socket.destroyed) this.socket.write(encodePacket(packet, this.version));
  }

  /** Waits for the first packet passing `test`, after running `start`; rejects after `timeoutMs`. */
  waitFor<T extends Packet>(test: (p: Packet) => p is T, timeoutMs: number, what: string, start: () => void = () => {}): Promise<T> {
    const waiting = this.backlog.findIndex(test);
    if (waiting >= 0) {
      start();
      return Promise.resolve(this.backlog.splice(waiting, 1)[0] as T);
    }
    const previous = this.handler;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.handler = previous;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.handler = (p) => {
        if (!test(p)) return previous(p);
        clearTimeout(timer);
        this.handler = previous;
        resolve(p);
      };
      start();
    });
  }

  /** Sends DISCONNECT and waits for the socket to close. */
  async disconnect(): Promise<void> {
    this.send({ type: PacketType.DISCONNECT, reasonCode: 0 });
    this.socket.end();
    await this.closed;
  }

  /** Drops the connection without DISCONNECT. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

/** Resolves when `condition()` holds, checking every 20 ms; rejects after `timeoutMs` with `what`. */
export async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
