import type { Duplex } from 'node:stream';
import {
  PacketFramer, decodePacket, isMqttProtocolError, varintSize, writeVarint,
  type MqttProtocolError, type Packet, type ProtocolVersion,
} from '../protocol/index.js';

/** What a {@link Connection} reports to the client that owns it. */
export interface ConnectionHandlers {
  /** A decoded packet, with its whole frame when `wantFrames()` said so (for tracing). */
  packet(packet: Packet, frame: Buffer | undefined): void;
  /** Bytes that do not decode, or a packet above the client's Maximum Packet Size. */
  protocolError(error: MqttProtocolError): void;
  /** The stream closed; `error` is why, when it did not end cleanly. */
  closed(error: Error | undefined): void;
  /** Whether whole incoming frames are wanted (someone listens to the packet trace). */
  wantFrames(): boolean;
  /** The stream's buffer drained below its high-water mark. */
  drain(): void;
}

/**
 * One network connection of the client: cuts the byte stream into packets with the
 * shared {@link PacketFramer}, decodes them with the shared codec, and writes
 * encoded packets. It holds no protocol state; that is the session's.
 */
export class Connection {
  private readonly framer: PacketFramer;
  private closedAlready = false;
  private failure: Error | undefined;

  /**
   * @param stream the transport from `dial`
   * @param version protocol level packets are decoded for
   * @param maximumPacketSize the client's own Maximum Packet Size (v5 CONNECT property)
   */
  constructor(
    private readonly stream: Duplex,
    private readonly version: ProtocolVersion,
    maximumPacketSize: number | undefined,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.framer = maximumPacketSize === undefined ? new PacketFramer() : new PacketFramer(maximumPacketSize);
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
    stream.on('close', () => this.onClose());
    stream.on('drain', () => handlers.drain());
    // A server that half-closes has nothing more to say: close our side too.
    stream.on('end', () => stream.end());
  }

  /** True until the stream is closed or closing. */
  get open(): boolean {
    return !this.closedAlready && !this.stream.destroyed && this.stream.writable;
  }

  /** Open and not holding back: the stream's buffer is under its high-water mark. */
  get writable(): boolean {
    return this.open && !this.stream.writableNeedDrain;
  }

  /** Stops reading the stream until the returned function is called (flow control of what the server sends). */
  pause(): () => void {
    this.stream.pause();
    return () => {
      if (!this.stream.destroyed) this.stream.resume();
    };
  }

  /** Writes bytes; `done` runs once they are handed to the operating system (or failed). */
  write(bytes: Buffer, done?: (error: Error | null | undefined) => void): void {
    if (!this.open) {
      done?.(new Error('the connection is closed'));
      return;
    }
    this.stream.write(bytes, done);
  }

  /**
   * Closes gracefully: flushes what was written, ends the stream, and waits for it
   * to close; destroys it after `timeoutMs` if the other side never lets go.
   */
  end(timeoutMs = 2000): Promise<void> {
    if (this.closedAlready) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.stream.destroy(), timeoutMs);
      this.stream.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.stream.end();
    });
  }

  /** Closes at once, recording why. */
  destroy(error?: Error): void {
    if (error) this.failure ??= error;
    this.stream.destroy();
  }

  private receive(chunk: Buffer): void {
    try {
      this.framer.push(chunk, (firstByte, body) => {
        const packet = decodePacket(firstByte, body, this.version);
        this.handlers.packet(packet, this.handlers.wantFrames() ? wholeFrame(firstByte, body) : undefined);
      });
    } catch (e) {
      if (!isMqttProtocolError(e)) throw e;
      // Nothing more from this stream can be trusted once a frame failed.
      this.stream.removeAllListeners('data');
      this.stream.pause();
      this.handlers.protocolError(e);
    }
  }

  private onClose(): void {
    if (this.closedAlready) return;
    this.closedAlready = true;
    this.handlers.closed(this.failure);
  }
}

/** The frame as it was on the wire: first byte, remaining length, body. */
function wholeFrame(firstByte: number, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(1 + varintSize(body.length) + body.length);
  frame[0] = firstByte;
  body.copy(frame, writeVarint(frame, 1, body.length));
  return frame;
}
