import { encodePacket, type Packet, type ProtocolVersion } from '../protocol/index.js';
import type { Frame, SessionEvent, SessionOutput } from './session-types.js';

/**
 * Collects what one step of the state machine produces: encoded packets to write
 * and events for the glue. Encoding happens here, once, with the shared codec, so
 * that the size limit the server announced can be checked before anything is
 * written [MQTT-3.2.2-15].
 */
export class Outbox implements SessionOutput {
  readonly send: Frame[] = [];
  readonly events: SessionEvent[] = [];

  /**
   * @param version protocol level to encode for
   * @param maximumPacketSize the server's Maximum Packet Size, if it set one (it
   *   changes when a CONNACK is handled in the middle of a step)
   * @param onSend called for each packet queued (keep alive counts every packet sent)
   */
  constructor(
    private readonly version: ProtocolVersion,
    public maximumPacketSize: number | undefined,
    private readonly onSend: () => void,
  ) {}

  /**
   * Encodes and queues a packet. Returns false, queueing nothing, when the encoded
   * packet is larger than the server accepts: the client must not send it. Throws
   * the codec's RangeError for a field it cannot encode (a string above 65,535 bytes).
   */
  packet(packet: Packet, completes?: number): boolean {
    const bytes = encodePacket(packet, this.version);
    if (this.maximumPacketSize !== undefined && bytes.length > this.maximumPacketSize) return false;
    const frame: Frame = { packet, bytes };
    if (completes !== undefined) frame.completes = completes;
    this.send.push(frame);
    this.onSend();
    return true;
  }

  /** Size in bytes the packet would have, for error messages. */
  sizeOf(packet: Packet): number {
    return encodePacket(packet, this.version).length;
  }

  /**
   * Like {@link packet}, but a field the codec cannot encode is returned as an
   * error instead of thrown, so that one bad request fails alone.
   */
  tryPacket(packet: Packet, completes?: number): boolean | Error {
    try {
      return this.packet(packet, completes);
    } catch (e) {
      if (e instanceof RangeError) return e;
      throw e;
    }
  }

  /** Queues an event for the glue. */
  event(event: SessionEvent): void {
    this.events.push(event);
  }
}
