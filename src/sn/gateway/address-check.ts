import { randomInt } from 'node:crypto';
import { SnMsgType, type SnPlainMessage, type SnRegackMessage, type SnRegisterMessage } from '../protocol/index.js';

/**
 * The topic the address check registers. A `$` topic (the server's own, [MQTT-4.7.2-1])
 * and short, so that CONNACK and the check fit the budget of the smallest CONNECT.
 */
export const ADDRESS_CHECK_TOPIC = '$SN/address';

/**
 * Until a client has proved its address, it is sent at most this many times the bytes
 * it sent: QUIC's anti-amplification limit (RFC 9000 section 8.1).
 */
export const AMPLIFICATION_LIMIT = 3;

/**
 * The topic id the check's REGISTER announces: the last normal id [MQTT-SN-1.2 5.3.11],
 * outside the client's topic table, so the check takes no room there. Should the table
 * ever give the id to a topic, the client learns the new name as usual (REGISTER, SUBACK
 * or REGACK) before it is used.
 */
const ADDRESS_CHECK_TOPIC_ID = 0xfffe;

/** What the check needs from its client. */
export interface SnAddressCheckHost {  /** Sends within the client's allowance; returns the bytes sent (0: not sent). */
  send(message: SnPlainMessage): number;
  /** The REGISTER is sent again after this many ms while unanswered. */
  readonly retryMs: number;
  /** The client answered: from now on it is sent what it asks for. */
  proven(): void;
}

/**
 * Proves that a client's UDP source address is really the client's before the gateway
 * sends it anything it did not ask for. Over UDP anyone can send a CONNECT and a
 * SUBSCRIBE with a victim's address; without a check, every message published to the
 * topic then goes to the victim (24 bytes turned into 50 KB). MQTT-SN has no cookie, so
 * the check is a REGISTER [MQTT-SN-1.2 6.10] with an unpredictable MsgId, sent right
 * after the CONNACK: only a client that received it can answer its REGACK. Until then
 * the client's deliveries wait, and what it is sent (replies included) stays within
 * {@link AMPLIFICATION_LIMIT} times what it sent.
 */
export class SnAddressCheck {
  private bytesIn = 0;
  private bytesOut = 0;
  private challenge: SnRegisterMessage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(private readonly host: SnAddressCheckHost) {}

  get proven(): boolean {
    return this.done;
  }

  /** A datagram of `size` bytes came from the client. */
  received(size: number): void {
    if (!this.done) this.bytesIn += size;
  }

  /** The largest datagram the client may be sent now. */
  get allowance(): number {
    return this.done ? Number.POSITIVE_INFINITY : AMPLIFICATION_LIMIT * this.bytesIn - this.bytesOut;
  }

  /** `bytes` were sent to the client. */
  sent(bytes: number): void {
    if (!this.done) this.bytesOut += bytes;
  }

  /** Sends the REGISTER (after the CONNACK), and again every retry interval while unanswered. */
  start(): void {
    if (this.done || this.challenge) return;
    this.challenge = { type: SnMsgType.REGISTER, topicId: ADDRESS_CHECK_TOPIC_ID, msgId: randomInt(1, 0x10000), topicName: ADDRESS_CHECK_TOPIC };
    this.transmit();
  }

  /** A REGACK: true when it answers the check (any return code: the client got the REGISTER). */
  answer(m: SnRegackMessage): boolean {
    const challenge = this.challenge;
    if (this.done || !challenge || m.msgId !== challenge.msgId) return false;
    this.stop();
    this.done = true;
    this.host.proven();
    return true;
  }

  /** The client is gone. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private transmit(): void {
    if (this.done || !this.challenge) return;
    this.host.send(this.challenge);
    this.timer = setTimeout(() => this.transmit(), this.host.retryMs);
    this.timer.unref();
  }
}
