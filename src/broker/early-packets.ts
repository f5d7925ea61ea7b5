import { MqttProtocolError, ReasonCode } from '../protocol/index.js';

/** Packets held while CONNECT is being decided; clients may send before CONNACK. */
const MAX_EARLY_PACKETS = 1000;
/** Bytes held while CONNECT is being decided, in maximum packet sizes: room for one large packet and more. */
const MAX_EARLY_PACKET_SIZES = 2;

/**
 * Frames a client sent after its CONNECT and before the CONNACK, held (copied) until
 * the CONNECT is decided, bounded in count and in bytes.
 */
export class EarlyPackets {
  readonly frames: Array<[number, Buffer]> = [];
  private bytes = 0;

  /** Holds one frame; throws a Quota Exceeded protocol error past the bounds. */
  hold(firstByte: number, body: Buffer, maxPacketSize: number): void {
    if (this.frames.length >= MAX_EARLY_PACKETS) throw new MqttProtocolError(ReasonCode.QuotaExceeded, 'too many packets before CONNACK');
    // Bounded in bytes too: a slow authenticator must not let a client park 1000 large packets here.
    this.bytes += body.length;
    if (this.bytes > MAX_EARLY_PACKET_SIZES * maxPacketSize) {
      throw new MqttProtocolError(ReasonCode.QuotaExceeded, 'too much data before CONNACK');
    }
    this.frames.push([firstByte, Buffer.from(body)]);
  }
}
