import * as zlib from 'node:zlib';

/**
 * A 32-bit checksum of a stored row, so that a flipped byte in a payload, a
 * topic, a packet id or a delivery's message id is found when the store is read
 * back instead of being delivered as if it were what was acknowledged. SQLite
 * checks the shape of its pages (`quick_check`) but not what the rows say.
 *
 * The row is given as its values in the order of `rowValues` (sqlite-codec.ts).
 * Blobs go through CRC-32; text and numbers, which are short, through FNV-1a,
 * seeded with the blobs' CRC. Each value's type and length are mixed in, so that
 * `"ab","c"` differs from `"a","bc"`. Computed on the values as written and as
 * read back, so both sides agree on what SQLite returns: numbers, strings,
 * Buffers and null. The sum is part of the stored format (schema 2 and 3): it
 * must not change.
 */
export function rowChecksum(values: readonly unknown[]): number {
  let crc = 0;
  let h = FNV_OFFSET;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'number') {
      h = mixNumber(h, v);
    } else if (typeof v === 'string') {
      h = mixString(h, v);
    } else if (v === null || v === undefined) {
      h = mixNull(h);
    } else if (v instanceof Uint8Array) {
      h = mixBlobLength(h, v.length);
      crc = crc32(v, crc);
    } else {
      throw new TypeError(`cannot checksum a ${typeof v}`);
    }
  }
  return finish(h, crc);
}

/**
 * {@link rowChecksum} of a message's row (`messages`, `retained`) from its values
 * in the order the sum covers them, without listing them in an array: commits
 * compute it for every message they write, restore for every one it reads, and
 * both call this one function. Values of an unexpected type (a damaged row) are
 * summed as they are.
 */
export function messageSum(
  id: unknown, topic: unknown, payload: unknown, qos: number, retain: number, properties: unknown,
  createdAt: unknown, expiresAt: unknown, origin: unknown, confidential: number,
): number {
  let h = mixValue(FNV_OFFSET, id);
  h = mixValue(h, topic);
  let crc = 0;
  if (payload instanceof Uint8Array) {
    h = mixBlobLength(h, payload.length);
    crc = crc32(payload, 0);
  } else {
    h = mixValue(h, payload);
  }
  h = mixNumber(h, qos);
  h = mixNumber(h, retain);
  h = mixValue(h, properties);
  h = mixValue(h, createdAt);
  h = mixValue(h, expiresAt);
  h = mixValue(h, origin);
  return finish(mixNumber(h, confidential), crc);
}

/** {@link rowChecksum} of a delivery's row, from its values in order, like {@link messageSum}. */
export function deliverySum(
  clientId: unknown, seq: unknown, messageId: unknown, qos: number, retain: number, subscriptionIds: unknown,
  packetId: unknown, state: string,
): number {
  let h = mixValue(FNV_OFFSET, clientId);
  h = mixValue(h, seq);
  h = mixValue(h, messageId);
  h = mixNumber(h, qos);
  h = mixNumber(h, retain);
  h = mixValue(h, subscriptionIds);
  h = mixValue(h, packetId);
  return finish(mixString(h, state), 0);
}

/** {@link rowChecksum} of an inbound QoS 2 id's row. */
export function inboundSum(clientId: unknown, packetId: unknown): number {
  return finish(mixValue(mixValue(FNV_OFFSET, clientId), packetId), 0);
}

/**
 * {@link rowChecksum} of `[...texts, n]` for many `n`, the texts summed once:
 * the store's marker sums its id and each new commit number.
 */
export function checksumAfterTexts(texts: readonly string[]): (n: number) => number {
  let h = FNV_OFFSET;
  for (const t of texts) h = mixString(h, t);
  return (n) => finish(mixNumber(h, n), 0);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const number = new Float64Array(1);
const words = new Uint32Array(number.buffer);

function mixNumber(h: number, v: number): number {
  number[0] = v;
  h = Math.imul(h ^ words[0]!, FNV_PRIME);
  return Math.imul(h ^ words[1]!, FNV_PRIME);
}

function mixString(h: number, v: string): number {
  h = Math.imul(h ^ (0x7e000000 | v.length), FNV_PRIME);
  for (let c = 0; c < v.length; c++) h = Math.imul(h ^ v.charCodeAt(c), FNV_PRIME);
  return h;
}

/** A number, a string or null as {@link rowChecksum} mixes them; a blob by its length only (its CRC is the caller's). */
function mixValue(h: number, v: unknown): number {
  if (typeof v === 'number') return mixNumber(h, v);
  if (typeof v === 'string') return mixString(h, v);
  if (v === null || v === undefined) return mixNull(h);
  if (v instanceof Uint8Array) return mixBlobLength(h, v.length);
  throw new TypeError(`cannot checksum a ${typeof v}`);
}

function mixNull(h: number): number {
  return Math.imul(h ^ 0x7f000000, FNV_PRIME);
}

function mixBlobLength(h: number, length: number): number {
  return Math.imul(h ^ (0x7d000000 | length), FNV_PRIME);
}

function finish(h: number, crc: number): number {
  return Math.imul(h ^ crc, FNV_PRIME) >>> 0;
}

type Crc32 = (data: Uint8Array, value: number) => number;

/**
 * Node's CRC-32 (zlib, 20.15+) costs a fixed ~150 ns a call, more than the sum
 * of a small payload in JavaScript: below this many bytes JavaScript sums it.
 */
const NATIVE_FROM_BYTES = 128;

/** Node's own where it has one, the same sum in JavaScript before 20.15. */
const native: Crc32 = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32 : crc32Js;

/**
 * CRC-32 (the zlib polynomial) of `bytes`, continuing from `value`. An empty
 * blob leaves `value` as it is (SQLite hands an empty blob back without memory
 * behind it, and Node's crc32 answers 0 for that whatever the start value).
 */
function crc32(bytes: Uint8Array, value: number): number {
  if (bytes.length === 0) return value;
  return bytes.length >= NATIVE_FROM_BYTES ? native(bytes, value) : crc32Js(bytes, value);
}

/** Eight tables of 256 entries: the byte-at-a-time table and its slice-by-8 extensions. */
const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s * 256 + n] = (t[(s - 1) * 256 + n]! >>> 8) ^ t[t[(s - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

/** CRC-32 in JavaScript, eight bytes a step (slice-by-8). */
function crc32Js(b: Uint8Array, value: number): number {
  const t = TABLES;
  let c = ~value;
  let i = 0;
  const n = b.length;
  for (const end = n - (n & 7); i < end; i += 8) {
    const a = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]!
      ^ t[768 + b[i + 4]!]! ^ t[512 + b[i + 5]!]! ^ t[256 + b[i + 6]!]! ^ t[b[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** For the test that the JavaScript sum and Node's agree. */
export const crc32ForTest = { native, fallback: crc32Js, chosen: crc32 };
