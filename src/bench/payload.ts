/**
 * The benchmark payload header, byte-compatible with mqbench so that either tool
 * can read the other's messages. Little-endian:
 *
 * | offset | field |
 * |---|---|
 * | 0 | magic `MQB1` (u32) |
 * | 4 | publisher index (u32) |
 * | 8 | sequence number of this publisher (u64) |
 * | 16 | scheduled send time, monotonic ns (u64) |
 * | 24 | actual send time, monotonic ns (u64) |
 *
 * Payloads shorter than the header carry no stamp: they are counted, not timed.
 */
export const PAYLOAD_MAGIC = 0x3142514d;

/** Size of the header; the smallest payload that can be timed and verified. */
export const PAYLOAD_HEADER_SIZE = 32;

const TWO_POW_32 = 0x1_0000_0000;

/** A payload of `size` bytes: the header's magic (when it fits) and printable filler. */
export function payloadTemplate(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = 0x61 + (i % 26);
  if (size >= PAYLOAD_HEADER_SIZE) {
    payload.writeUInt32LE(PAYLOAD_MAGIC, 0);
    payload.fill(0, 4, PAYLOAD_HEADER_SIZE);
  }
  return payload;
}

/** Writes a non-negative integer below 2^53 as a u64 LE, without a BigInt. */
export function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % TWO_POW_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}

/** Reads a u32 LE by plain indexing: the hot path of a subscriber, without Buffer's range checks. */
export function readU32(buf: Uint8Array, offset: number): number {
  return buf[offset]! + buf[offset + 1]! * 0x100 + buf[offset + 2]! * 0x1_0000 + buf[offset + 3]! * 0x100_0000;
}

/** Reads a u64 LE as a number (exact below 2^53, which every stamp here is); the caller checks the length. */
export function readU64(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset) + readU32(buf, offset + 4) * TWO_POW_32;
}

/** Writes the per-message fields of a stamped payload that starts at `offset`. */
export function stampPayload(
  buf: Buffer, offset: number, publisher: number, seq: number, scheduledNs: number, sentNs: number,
): void {
  buf.writeUInt32LE(publisher, offset + 4);
  writeU64(buf, offset + 8, seq);
  writeU64(buf, offset + 16, scheduledNs);
  writeU64(buf, offset + 24, sentNs);
}

/** True when the payload at `offset` (of `length` bytes) carries a benchmark stamp. */
export function isStamped(buf: Uint8Array, offset: number, length: number): boolean {
  return length >= PAYLOAD_HEADER_SIZE && readU32(buf, offset) === PAYLOAD_MAGIC;
}
