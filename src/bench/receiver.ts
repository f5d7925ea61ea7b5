import { Histogram } from './histogram.js';
import { isStamped, readU32, readU64 } from './payload.js';

/** Holes remembered per stream, to tell a late message from a duplicate. */
const MAX_MISSING = 32;
/** Publisher indices above this are not tracked by a `sub` run that discovers them. */
const MAX_DISCOVERED_PUBLISHER = 1_000_000;

/**
 * Sequence checking per (publisher, subscriber) stream, as mqbench does it: the
 * next expected number, holes (gaps), late arrivals that fill a hole
 * (out of order) and numbers seen twice (duplicates). In a `pubsub` run the
 * expected numbers live in shared memory, where publishers read them for their
 * end-to-end window; in a `sub` run streams are discovered as messages arrive.
 */
export class StreamTable {
  gaps = 0;
  outOfOrder = 0;
  duplicates = 0;
  private readonly missing = new Map<number, number[]>();
  private discovered = 0;

  constructor(private expect: Float64Array, private readonly discovering: boolean) {}

  /** The slot of a publisher's stream to a `sub` run's subscriber, made on first sight. */
  discover(slots: number[], publisher: number, seq: number): number {
    const known = slots[publisher];
    if (known !== undefined) return known;
    if (!this.discovering || publisher > MAX_DISCOVERED_PUBLISHER) return -1;
    if (this.discovered === this.expect.length) {
      const grown = new Float64Array(Math.max(64, this.expect.length * 2));
      grown.set(this.expect);
      this.expect = grown;
    }
    const slot = this.discovered++;
    // A subscriber that joins a running publisher starts from the first number it sees.
    this.expect[slot] = seq;
    slots[publisher] = slot;
    return slot;
  }

  record(slot: number, seq: number): void {
    const expect = this.expect[slot]!;
    if (seq === expect) {
      this.expect[slot] = expect + 1;
    } else if (seq > expect) {
      let holes = this.missing.get(slot);
      if (!holes) this.missing.set(slot, (holes = []));
      for (let m = expect; m < seq && holes.length < MAX_MISSING; m++) holes.push(m);
      this.gaps += seq - expect;
      this.expect[slot] = seq + 1;
    } else {
      const holes = this.missing.get(slot);
      const at = holes ? holes.indexOf(seq) : -1;
      if (at >= 0) {
        holes!.splice(at, 1);
        this.gaps--;
        this.outOfOrder++;
      } else {
        this.duplicates++;
      }
    }
  }
}

/** What the subscribers of one worker received. */
export class ReceiveAccounting {
  received = 0;
  /** Messages without a benchmark stamp (too small, or not from a bench publisher). */
  unstamped = 0;
  /** Stamped messages from a publisher no subscriber of this run expects. */
  unexpected = 0;
  /** Messages delivered with the DUP flag. */
  dupFlags = 0;
  measuring = false;
  /** From the scheduled send time to receipt (what mqbench calls `lat`). */
  readonly latency = new Histogram();
  /**
   * From the actual send time to receipt, recorded when the two stamps differ
   * (scheduled messages): without a schedule they are equal and {@link latency}
   * says it all.
   */
  readonly serviceLatency = new Histogram();

  constructor(readonly streams: StreamTable) {}

  /** Accounts one PUBLISH for the subscriber whose stream slots are `slots`. */
  record(slots: Int32Array | number[], firstByte: number, body: Buffer, payloadStart: number, rxNs: number): void {
    this.received++;
    if (firstByte & 0x08) this.dupFlags++;
    if (!isStamped(body, payloadStart, body.length - payloadStart)) {
      this.unstamped++;
      return;
    }
    const publisher = readU32(body, payloadStart + 4);
    const seq = readU64(body, payloadStart + 8);
    if (this.measuring) {
      const scheduledNs = readU64(body, payloadStart + 16);
      const sentNs = readU64(body, payloadStart + 24);
      this.latency.record(rxNs - scheduledNs);
      if (sentNs !== scheduledNs) this.serviceLatency.record(rxNs - sentNs);
    }
    const slot = Array.isArray(slots) ? this.streams.discover(slots, publisher, seq) : (slots[publisher] ?? -1);
    if (slot < 0) this.unexpected++;
    else this.streams.record(slot, seq);
  }
}
