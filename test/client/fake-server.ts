/**
 * A scripted MQTT server on a random loopback port, built on the shared codec, for
 * client behaviour a real broker will not show on demand (no PINGRESP, topic
 * aliases towards the client, DISCONNECT with a chosen reason code).
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  PacketFramer, PacketType, decodePacket, encodePacket, type ConnackPacket, type ConnectPacket, type Packet, type ProtocolVersion,
} from '../../src/protocol/index.js';

/** One client connection, seen from the server. */
export interface FakeConnection {
  /** The protocol level of the client's CONNECT. */
  version: ProtocolVersion;
  /** The client's CONNECT. */
  connect: ConnectPacket;
  /** Resolves with the next packet the client sends (after CONNECT), or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Packet>;
  send(packet: Packet): void;
  /** Writes raw bytes (for malformed packets). */
  sendRaw(bytes: Buffer): void;
  /** Packets received but not yet read with {@link next}. */
  unread(): number;
  /** Closes the socket. */
  close(): void;
  closed: Promise<void>;
}

/** A running fake server. */
export interface FakeServer {
  port: number;
  /** Resolves with the next accepted connection whose CONNECT arrived. */
  accept(timeoutMs?: number): Promise<FakeConnection>;
  close(): Promise<void>;
}

/**
 * Starts the server. Every CONNECT is answered with `connack` (a plain success by
 * default), or not at all when it is false.
 */
export async function startFakeServer(connack: ConnackPacket | false = SUCCESS): Promise<FakeServer> {
  const waiting: FakeConnection[] = [];
  const acceptors: ((c: FakeConnection) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    wrap(socket, connack, (connection) => {
      const acceptor = acceptors.shift();
      if (acceptor) acceptor(connection);
      else waiting.push(connection);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    accept: (timeoutMs = 5000) => {
      const ready = waiting.shift();
      if (ready) return Promise.resolve(ready);
      return withTimeout(new Promise((resolve) => acceptors.push(resolve)), timeoutMs, 'no client connected');
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const SUCCESS: ConnackPacket = { type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 };

function wrap(socket: Socket, connack: ConnackPacket | false, onConnect: (c: FakeConnection) => void): void {
  const framer = new PacketFramer();
  const inbox: Packet[] = [];
  const readers: ((p: Packet) => void)[] = [];
  let version: ProtocolVersion = 4;
  let connection: FakeConnection | undefined;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => framer.push(chunk, (first, body) => {
    const packet = decodePacket(first, body, version);
    if (packet.type === PacketType.CONNECT) {
      version = packet.protocolVersion;
      connection = makeConnection(packet);
      if (connack) connection.send(connack);
      onConnect(connection);
      return;
    }
    const reader = readers.shift();
    if (reader) reader(packet);
    else inbox.push(packet);
  }));
  function makeConnection(connect: ConnectPacket): FakeConnection {
    return {
      version,
      connect,
      next: (timeoutMs = 5000) => {
        const ready = inbox.shift();
        if (ready) return Promise.resolve(ready);
        return withTimeout(new Promise((resolve) => readers.push(resolve)), timeoutMs, 'the client sent nothing');
      },
      send: (packet) => socket.write(encodePacket(packet, version)),
      sendRaw: (bytes) => socket.write(bytes),
      unread: () => inbox.length,
      close: () => socket.destroy(),
      closed,
    };
  }
}

/** Rejects when `promise` takes longer than `ms`: every wait in the tests is bounded. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
