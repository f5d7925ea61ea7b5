import type { Duplex } from 'node:stream';
import {
  isFailureCode,
  PacketFramer, PacketType, decodePacket, reasonCodeName, type ProtocolVersion,
} from '../protocol/index.js';
import { nowNs } from './clock.js';
import { openStream, type StreamTarget } from './transport.js';
import { DISCONNECT_BYTES, PINGREQ_BYTES, skipProperties, writeAck } from './wire.js';

/** Where a load connection is in its life. */
export type ConnectionState = 'new' | 'connecting' | 'awaiting-connack' | 'awaiting-suback' | 'ready' | 'closing' | 'closed';

/** What the role running a connection (publisher, subscriber, idle) hears from it. */
export interface ConnectionListener {
  /** CONNACK (and SUBACK, for a subscriber) accepted. */
  onReady(conn: LoadConnection): void;
  /** The connection failed before it was ready. */
  onFailed(conn: LoadConnection, reason: string): void;
  /** The connection closed, after it was ready, without being asked to. */
  onDropped(conn: LoadConnection, reason: string): void;
  /** A PUBLISH arrived; its payload is `body[payloadStart..]`. Acknowledging it is done here. */
  onPublish(conn: LoadConnection, firstByte: number, body: Buffer, payloadStart: number, rxNs: number): void;
  /** PUBACK, PUBREC or PUBCOMP for a message this client sent. */
  onAck(conn: LoadConnection, type: number, packetId: number): void;
  /** The socket drained after a write was refused. */
  onWritable(conn: LoadConnection): void;
  /** Every packet of a chunk of input has been handled. */
  onReadDone(conn: LoadConnection): void;
}

/** Where and how to connect. */
export interface ConnectionTarget extends StreamTarget {
  protocolVersion: ProtocolVersion;
  connectPacket: Buffer;
  /** Sent after CONNACK; the connection is ready when the SUBACK arrives. */
  subscribePacket: Buffer | undefined;
  connectTimeoutMs: number;
  /** Bytes read at most at once: large for subscribers, small for idle connections (memory). */
  readBufferSize: number;
}

const ACK_BUFFER_SIZE = 4096;

/**
 * The scratch buffer acknowledgements are gathered in, one per thread: a connection
 * fills it during one read and copies it out at the end of that read, so connections
 * never share it across reads. A buffer each cost every connect an ArrayBuffer of its
 * own (issue 19: the connect generator, not the broker, limited connects/s).
 */
const ACKS = Buffer.allocUnsafeSlow(ACK_BUFFER_SIZE);

/** Read buffers are cut from slabs of this size, not made one ArrayBuffer per connection. */
const READ_SLAB_SIZE = 256 * 1024;
let readSlab = Buffer.allocUnsafeSlow(0);
let readSlabUsed = 0;

/**
 * A read buffer of `size` bytes that no other connection uses: a piece of the current
 * slab (a new slab when it is full). A piece is never handed out twice, so a frame
 * the framer keeps across reads stays intact; a slab is freed once none of its pieces is held.
 */
function readBufferPiece(size: number): Buffer {
  if (size > READ_SLAB_SIZE / 8) return Buffer.allocUnsafeSlow(size);
  if (readSlabUsed + size > readSlab.length) {
    readSlab = Buffer.allocUnsafeSlow(READ_SLAB_SIZE);
    readSlabUsed = 0;
  }
  const piece = readSlab.subarray(readSlabUsed, readSlabUsed + size);
  readSlabUsed += size;
  return piece;
}

/**
 * A minimal MQTT client for load: it frames input with the shared codec, handles
 * the handshake and the acknowledgement flows itself, and batches the
 * acknowledgements of one chunk of input into one write.
 */
export class LoadConnection {
  state: ConnectionState = 'new';
  /** The broker's Receive Maximum (v5), which caps a publisher's window. */
  receiveMaximum = 65535;
  /** A write was refused and 'drain' has not come yet. */
  congested = false;
  lastWriteNs = 0;
  openedNs = 0;
  readyNs = 0;
  /** The CONNACK said the broker kept a session for this client id. */
  sessionPresent = false;
  private socket: Duplex | undefined;
  private readonly framer = new PacketFramer();
  private ackLength = 0;
  private rxNs = 0;
  private readBuffer: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;

  constructor(readonly id: number, private readonly target: ConnectionTarget, private readonly listener: ConnectionListener) {}

  /** Starts the connection (TCP, TLS or WebSocket) and the MQTT handshake. */
  open(): void {
    this.state = 'connecting';
    this.openedNs = nowNs();
    const socket = openStream(this.target, {
      onOpen: () => {
        this.state = 'awaiting-connack';
        this.write(this.target.connectPacket);
      },
      onData: (chunk) => this.onData(chunk),
      readBuffer: () => this.nextReadBuffer(),
    });
    this.socket = socket;
    this.timer = setTimeout(() => this.fail('no CONNACK within the connect timeout'), this.target.connectTimeoutMs);
    socket.on('drain', () => {
      this.congested = false;
      this.listener.onWritable(this);
    });
    socket.on('error', (err: Error) => this.fail(err.message));
    socket.on('close', () => this.fail('connection closed by the broker'));
  }

  /** Writes bytes; false when the socket asks to wait for 'drain'. */
  write(bytes: Buffer): boolean {
    this.lastWriteNs = nowNs();
    const ok = this.socket!.write(bytes);
    if (!ok) this.congested = true;
    return ok;
  }

  /** Sends a PINGREQ when nothing was written for half the keep alive. */
  keepAlive(now: number, keepAliveS: number): void {
    if (this.state === 'ready' && keepAliveS > 0 && now - this.lastWriteNs > keepAliveS * 5e8) this.write(PINGREQ_BYTES);
  }

  /** Cuts the connection without DISCONNECT, as a network failure would (the reconnect storm). */
  drop(): void {
    this.state = 'closed';
    clearTimeout(this.timer);
    this.socket?.destroy();
  }

  /**
   * Ends the connection politely: DISCONNECT, then wait (at most `timeoutMs`) for
   * the broker to close first, so that TIME_WAIT lands on its side and a run of
   * many connections does not eat this host's ephemeral ports.
   */
  close(timeoutMs = 3000): Promise<void> {
    if (this.closed) return this.closed;
    const socket = this.socket;
    const wasReady = this.state === 'ready';
    this.state = 'closing';
    clearTimeout(this.timer);
    if (!socket || socket.destroyed) {
      this.state = 'closed';
      this.closed = Promise.resolve();
      return this.closed;
    }
    this.closed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        this.state = 'closed';
        resolve();
      });
    });
    if (wasReady) socket.write(DISCONNECT_BYTES);
    else socket.destroy();
    return this.closed;
  }

  private fail(reason: string): void {
    const before = this.state;
    if (before === 'closing' || before === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.socket?.destroy();
    if (before === 'ready') this.listener.onDropped(this, reason);
    else this.listener.onFailed(this, reason);
  }

  /**
   * Node asks for the buffer of a socket's next read right after handing over
   * the last one: the same buffer again, unless the framer kept part of a frame
   * that points into it.
   */
  private nextReadBuffer(): Buffer {
    if (!this.readBuffer || this.framer.buffered > 0) this.readBuffer = readBufferPiece(this.target.readBufferSize);
    return this.readBuffer;
  }

  private onData(chunk: Buffer): void {
    this.rxNs = nowNs();
    try {
      this.framer.push(chunk, this.onFrame);
    } catch (err) {
      this.ackLength = 0;
      this.fail(`protocol error: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.flushAcks();
    this.listener.onReadDone(this);
  }

  private readonly onFrame = (firstByte: number, body: Buffer): void => {
    const type = firstByte >> 4;
    switch (type) {
      case PacketType.PUBLISH: return this.onPublish(firstByte, body);
      case PacketType.PUBACK:
      case PacketType.PUBCOMP: return this.listener.onAck(this, type, body.readUInt16BE(0));
      case PacketType.PUBREC: {
        const packetId = body.readUInt16BE(0);
        this.queueAck(PacketType.PUBREL, packetId);
        return this.listener.onAck(this, type, packetId);
      }
      case PacketType.PUBREL: return this.queueAck(PacketType.PUBCOMP, body.readUInt16BE(0));
      case PacketType.PINGRESP: return;
      case PacketType.CONNACK:
      case PacketType.SUBACK: return this.onHandshake(firstByte, body);
      case PacketType.DISCONNECT: return this.onDisconnect(firstByte, body);
      default: throw new Error(`unexpected packet type ${type}`);
    }
  };

  private onPublish(firstByte: number, body: Buffer): void {
    const qos = (firstByte >> 1) & 3;
    let offset = 2 + body.readUInt16BE(0);
    if (qos > 0) {
      this.queueAck(qos === 1 ? PacketType.PUBACK : PacketType.PUBREC, body.readUInt16BE(offset));
      offset += 2;
    }
    if (this.target.protocolVersion === 5) offset = skipProperties(body, offset);
    if (offset > body.length) throw new Error('PUBLISH shorter than its header');
    this.listener.onPublish(this, firstByte, body, offset, this.rxNs);
  }

  private onHandshake(firstByte: number, body: Buffer): void {
    const packet = decodePacket(firstByte, body, this.target.protocolVersion);
    if (packet.type === PacketType.CONNACK && this.state === 'awaiting-connack') {
      if (packet.reasonCode !== 0) return this.fail(`CONNACK refused: ${connackReason(packet.reasonCode, this.target.protocolVersion)}`);
      this.receiveMaximum = packet.properties?.receiveMaximum ?? 65535;
      this.sessionPresent = packet.sessionPresent;
      if (!this.target.subscribePacket) return this.becomeReady();
      this.state = 'awaiting-suback';
      this.write(this.target.subscribePacket);
    } else if (packet.type === PacketType.SUBACK && this.state === 'awaiting-suback') {
      const refused = packet.reasonCodes.find(isFailureCode);
      if (refused !== undefined) return this.fail(`SUBACK refused: ${reasonCodeName(refused)}`);
      this.becomeReady();
    } else {
      throw new Error(`unexpected ${packet.type === PacketType.CONNACK ? 'CONNACK' : 'SUBACK'}`);
    }
  }

  private onDisconnect(firstByte: number, body: Buffer): void {
    const packet = decodePacket(firstByte, body, this.target.protocolVersion);
    const code = packet.type === PacketType.DISCONNECT ? (packet.reasonCode ?? 0) : 0;
    this.fail(`DISCONNECT from the broker: ${reasonCodeName(code)}`);
  }

  private becomeReady(): void {
    clearTimeout(this.timer);
    this.state = 'ready';
    this.readyNs = nowNs();
    this.listener.onReady(this);
  }

  private queueAck(type: number, packetId: number): void {
    if (this.ackLength + 4 > ACKS.length) this.flushAcks();
    writeAck(ACKS, this.ackLength, type, packetId);
    this.ackLength += 4;
  }

  private flushAcks(): void {
    if (this.ackLength === 0) return;
    if (!this.socket || this.socket.destroyed) {
      this.ackLength = 0;
      return;
    }
    // The socket keeps what it is given until written out: hand it a copy (from
    // Node's pool, for the usual few hundred bytes) and keep the scratch buffer.
    const out = Buffer.allocUnsafe(this.ackLength);
    ACKS.copy(out, 0, 0, this.ackLength);
    this.ackLength = 0;
    this.write(out);
  }
}

function connackReason(code: number, version: ProtocolVersion): string {
  if (version === 5) return reasonCodeName(code);
  const names = ['accepted', 'unacceptable protocol version', 'identifier rejected', 'server unavailable',
    'bad user name or password', 'not authorized'];
  return `return code ${code} (${names[code] ?? 'unknown'})`;
}
