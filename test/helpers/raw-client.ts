import { connect, type Socket } from 'node:net';
import {
  PacketFramer, PacketType, decodePacket, encodePacket, packetTypeNames,
  type ConnectPacket, type Packet, type PacketOf, type ProtocolVersion,
} from '../../src/protocol/index.js';

/** Options of {@link RawClient.connect}. */
export interface RawConnectOptions extends Partial<Omit<ConnectPacket, 'type'>> {
  /** Protocol level, default 4 (3.1.1). */
  version?: ProtocolVersion;
}

const DEFAULT_TIMEOUT = 3000;

/**
 * A bare MQTT client for conformance tests: it sends exactly the packets (or
 * bytes) a test asks for and records everything the broker sends back, so tests
 * can check the broker's answers byte for byte and packet by packet.
 */
export class RawClient {
  readonly received: Packet[] = [];
  readonly receivedBytes: Buffer[] = [];
  private readonly framer = new PacketFramer();
  private waiters: Array<() => void> = [];
  private closedFlag = false;
  private closePromise: Promise<void>;
  /** The decode error, if the broker ever sent bytes we could not decode. */
  decodeError: Error | undefined;

  private constructor(readonly socket: Socket, public version: ProtocolVersion) {
    this.closePromise = new Promise((resolve) => socket.once('close', () => {
      this.closedFlag = true;
      this.wake();
      resolve();
    }));
    socket.on('error', () => {});
    // Tests write packet after packet: without this, Nagle holds each small write
    // for the peer's delayed ACK (~40 ms on loopback).
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes.push(chunk);
      try {
        this.framer.push(chunk, (first, body) => this.received.push(decodePacket(first, body, this.version)));
      } catch (err) {
        this.decodeError = err as Error;
      }
      this.wake();
    });
  }

  /** Opens a TCP connection (no MQTT yet). */
  static open(port: number, version: ProtocolVersion = 4, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('connect', () => resolve(new RawClient(socket, version)));
      socket.once('error', reject);
    });
  }

  /** Opens a connection and completes CONNECT/CONNACK; the CONNACK is returned. */
  static async connect(port: number, options: RawConnectOptions = {}): Promise<{ client: RawClient; connack: PacketOf<2> }> {
    const version = options.version ?? 4;
    const client = await RawClient.open(port, version);
    client.send(connectPacket(options));
    const connack = await client.expect(PacketType.CONNACK);
    return { client, connack };
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  send(packet: Packet): void {
    this.socket.write(encodePacket(packet, this.version));
  }

  sendBytes(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** Waits for the next packet of a type (skipping none: packets of other types before it fail the wait). */
  async expect<T extends Packet['type']>(type: T, timeoutMs = DEFAULT_TIMEOUT): Promise<PacketOf<T>> {
    const packet = await this.next(timeoutMs);
    if (packet.type !== type) {
      throw new Error(`expected ${packetTypeNames[type]}, got ${packetTypeNames[packet.type]}: ${JSON.stringify(packet)}`);
    }
    return packet as PacketOf<T>;
  }

  private cursor = 0;

  /** The next packet not yet taken by next/expect. */
  async next(timeoutMs = DEFAULT_TIMEOUT): Promise<Packet> {
    await this.waitFor(() => this.received.length > this.cursor, timeoutMs, 'a packet');
    return this.received[this.cursor++]!;
  }

  /** Waits until a packet of the type has arrived (anywhere after the cursor) and takes it. */
  async waitForPacket<T extends Packet['type']>(type: T, timeoutMs = DEFAULT_TIMEOUT): Promise<PacketOf<T>> {
    let found: Packet | undefined;
    await this.waitFor(() => {
      for (let i = this.cursor; i < this.received.length; i++) {
        if (this.received[i]!.type === type) {
          found = this.received.splice(i, 1)[0];
          return true;
        }
      }
      return false;
    }, timeoutMs, packetTypeNames[type]);
    return found as PacketOf<T>;
  }

  /** Packets received and not yet taken. */
  pending(): Packet[] {
    return this.received.slice(this.cursor);
  }

  /** Resolves when the broker closes the connection; rejects after the timeout. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.waitFor(() => this.closedFlag, timeoutMs, 'the connection to close');
  }

  /** Resolves true if no packet arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.received.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.received.length === before;
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closePromise;
  }

  private async waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.closedFlag && what !== 'the connection to close' && !condition()) {
        throw new Error(`connection closed while waiting for ${what}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A CONNECT packet with sensible defaults for tests. */
export function connectPacket(options: RawConnectOptions = {}): ConnectPacket {
  const version = options.version ?? 4;
  const packet: ConnectPacket = {
    type: PacketType.CONNECT,
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: options.clean ?? true,
    keepAlive: options.keepAlive ?? 60,
    clientId: options.clientId ?? `raw-${Math.random().toString(36).slice(2, 10)}`,
  };
  if (options.will) packet.will = options.will;
  if (options.username !== undefined) packet.username = options.username;
  if (options.password !== undefined) packet.password = options.password;
  if (options.properties) packet.properties = options.properties;
  return packet;
}
