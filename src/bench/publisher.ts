import { PacketType, type QoS } from '../protocol/index.js';
import { nowNs } from './clock.js';
import type { LoadConnection } from './connection.js';
import type { Histogram } from './histogram.js';
import { PAYLOAD_HEADER_SIZE, writeU64 } from './payload.js';
import type { SharedState } from './shared.js';
import type { PublishTemplate } from './wire.js';

/** How one publisher paces itself. */
export interface PublisherSettings {
  /** Global publisher index, stamped in every payload. */
  index: number;
  qos: QoS;
  /** QoS 1 and 2: messages unacknowledged at most. */
  window: number;
  /** Sent but not yet received by every subscriber, at most; 0: no limit. */
  e2eWindow: number;
  /** Without a schedule, wait until this much credit is free and send it in one write. */
  batch: number;
  /** Messages this publisher sends in all. */
  limit: number;
  /** Nanoseconds between two messages; 0: no schedule. */
  periodNs: number;
  /** Offset of this publisher's schedule, to spread publishers over a period. */
  phaseNs: number;
  template: PublishTemplate;
  /** Stream slots that receive this publisher's messages. */
  streams: number[];
}

/** Counters the publishers of one worker share. */
export interface PublishStats {
  measuring: boolean;
  /** How late a scheduled message went out. */
  sendLag: Histogram;
  badAcks: number;
  /** Times the end-to-end window was forced open after 0.5 s without progress (QoS 0 loss). */
  stalls: number;
}

/** Without progress for this long the messages in flight are taken as lost. */
const STALL_NS = 500e6;
const MAX_WRITE_BYTES = 64 * 1024;
const PACKET_ID_RANGE = 65535;

/**
 * One publisher: it sends copies of its pre-encoded PUBLISH as fast as its
 * windows and schedule allow (mqbench's closed loop), keeps the packet ids of
 * its unacknowledged messages and reports its progress in shared memory.
 */
export class Publisher {
  nextSeq = 0;
  acked = 0;
  /** Set by {@link fill}: the end-to-end window is what holds this publisher back. */
  waitingForSubscribers = false;
  private inflight = 0;
  /** Per packet id: 0 free, 1 waiting for PUBACK or PUBREC, 2 waiting for PUBCOMP. */
  private readonly pending = new Uint8Array(PACKET_ID_RANGE + 1);
  private readonly batchTemplate: Buffer;
  private readonly maxBatch: number;
  private readonly stamped: boolean;
  private window: number;
  private startNs = 0;
  private sending = false;
  private e2eFloor = 0;
  private slowestStream = 0;
  private blockedSinceNs = 0;

  constructor(
    private readonly s: PublisherSettings,
    readonly conn: LoadConnection,
    private readonly shared: SharedState,
    private readonly stats: PublishStats,
  ) {
    const length = s.template.bytes.length;
    this.maxBatch = Math.max(1, Math.floor(MAX_WRITE_BYTES / length));
    this.batchTemplate = Buffer.allocUnsafe(length * this.maxBatch);
    for (let k = 0; k < this.maxBatch; k++) s.template.bytes.copy(this.batchTemplate, k * length);
    this.stamped = s.template.bytes.length - s.template.payloadOffset >= PAYLOAD_HEADER_SIZE;
    if (this.stamped) {
      for (let k = 0; k < this.maxBatch; k++) this.batchTemplate.writeUInt32LE(s.index, k * length + s.template.payloadOffset + 4);
    }
    this.window = s.window;
  }

  /** Starts sending; a schedule counts from `startNs`. */
  start(startNs: number): void {
    this.startNs = startNs;
    this.window = Math.min(this.s.window, this.conn.receiveMaximum);
    this.sending = true;
  }

  stop(): void {
    this.sending = false;
  }

  /** Messages sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.inflight;
  }

  /**
   * When the next scheduled message is due; Infinity without a schedule or while
   * something else holds the publisher back (an acknowledgement, a subscriber,
   * a full socket), whose arrival wakes it instead.
   */
  nextDueNs(): number {
    if (this.s.periodNs === 0 || !this.sending || this.nextSeq >= this.s.limit) return Infinity;
    if (this.waitingForSubscribers || this.conn.congested || (this.s.qos > 0 && this.inflight >= this.window)) return Infinity;
    return this.scheduledNs(this.nextSeq);
  }

  /**
   * Sends what the windows and schedule allow now; true when more could go at
   * once. Afterwards {@link waitingForSubscribers} says whether the end-to-end
   * window is what holds it back.
   */
  fill(now: number): boolean {
    if (this.conn.state !== 'ready' || this.conn.congested) {
      this.waitingForSubscribers = false;
      return false;
    }
    const count = this.credit(now);
    if (count <= 0) return false;
    const sent = this.writeBatch(Math.min(count, this.maxBatch));
    if (sent === 0 || this.conn.congested) return false;
    return this.credit(now) > 0;
  }

  /** Accounts an acknowledgement; one that matches nothing in flight counts as a bad ack. */
  onAck(type: number, packetId: number): void {
    const state = this.pending[packetId];
    if (this.s.qos === 2 && type === PacketType.PUBREC && state === 1) {
      this.pending[packetId] = 2;
    } else if ((this.s.qos === 1 && type === PacketType.PUBACK && state === 1) ||
      (this.s.qos === 2 && type === PacketType.PUBCOMP && state === 2)) {
      this.pending[packetId] = 0;
      this.inflight--;
      this.shared.acked[this.s.index] = ++this.acked;
    } else {
      this.stats.badAcks++;
    }
  }

  /** True when a subscriber advanced since the window last looked (a publisher thread about to wait asks). */
  subscribersMoved(): boolean {
    return this.s.e2eWindow > 0 && this.slowestStreamNow() > this.slowestStream;
  }

  private scheduledNs(seq: number): number {
    return this.startNs + this.s.phaseNs + seq * this.s.periodNs;
  }

  private credit(now: number): number {
    this.waitingForSubscribers = false;
    if (!this.sending) return 0;
    const left = this.s.limit - this.nextSeq;
    let credit = left;
    if (this.s.qos > 0) credit = Math.min(credit, this.window - this.inflight);
    if (this.s.e2eWindow > 0 && this.s.streams.length > 0) {
      const e2e = this.e2eCredit(now);
      this.waitingForSubscribers = e2e < this.s.batch && e2e < left;
      credit = Math.min(credit, e2e);
    }
    if (credit <= 0) return 0;
    if (this.s.periodNs > 0) {
      const elapsed = now - this.startNs - this.s.phaseNs;
      const due = elapsed < 0 ? 0 : Math.floor(elapsed / this.s.periodNs) + 1;
      return Math.min(credit, due - this.nextSeq);
    }
    // Hysteresis: wait for a batch worth of credit so that one write carries many messages.
    return credit < this.s.batch && credit < left ? 0 : credit;
  }

  private e2eCredit(now: number): number {
    const w = this.s.e2eWindow;
    let floor = Math.max(this.slowestStream, this.e2eFloor);
    if (this.nextSeq - floor + this.s.batch > w) {
      this.slowestStream = this.slowestStreamNow();
      floor = Math.max(this.slowestStream, this.e2eFloor);
    }
    const used = this.nextSeq - floor;
    if (used < w) {
      this.blockedSinceNs = 0;
      return w - used;
    }
    if (this.blockedSinceNs === 0) {
      this.blockedSinceNs = now;
    } else if (now - this.blockedSinceNs > STALL_NS) {
      // Everything in flight was dropped (QoS 0 allows it): move on.
      this.e2eFloor = this.nextSeq;
      this.blockedSinceNs = 0;
      this.stats.stalls++;
      return w;
    }
    return 0;
  }

  private slowestStreamNow(): number {
    let min = Infinity;
    for (const slot of this.s.streams) min = Math.min(min, this.shared.expect[slot]!);
    return min;
  }

  /** Copies `count` messages from the template, patches and writes them; returns how many went. */
  private writeBatch(count: number): number {
    const { bytes, packetIdOffset, payloadOffset } = this.s.template;
    const length = bytes.length;
    const out = Buffer.allocUnsafe(count * length);
    this.batchTemplate.copy(out, 0, 0, count * length);
    const sentNs = nowNs();
    let k = 0;
    for (; k < count; k++) {
      const seq = this.nextSeq + k;
      const base = k * length;
      if (this.s.qos > 0) {
        const packetId = (seq % PACKET_ID_RANGE) + 1;
        // An id still unacknowledged from 65,535 messages ago: wait for it.
        if (this.pending[packetId] !== 0) break;
        this.pending[packetId] = 1;
        out.writeUInt16BE(packetId, base + packetIdOffset);
      }
      if (this.stamped) this.stamp(out, base + payloadOffset, seq, sentNs);
    }
    if (k === 0) return 0;
    this.nextSeq += k;
    if (this.s.qos > 0) this.inflight += k;
    this.shared.sent[this.s.index] = this.nextSeq;
    this.conn.write(k === count ? out : out.subarray(0, k * length));
    return k;
  }

  private stamp(out: Buffer, at: number, seq: number, sentNs: number): void {
    const scheduled = this.s.periodNs > 0 ? this.scheduledNs(seq) : sentNs;
    writeU64(out, at + 8, seq);
    writeU64(out, at + 16, scheduled);
    writeU64(out, at + 24, sentNs);
    if (this.stats.measuring && this.s.periodNs > 0) this.stats.sendLag.record(sentNs - scheduled);
  }
}
