import * as zlib from 'node:zlib';

/**
 * A 32-bit checksum of a stored row, so that a flipped byte in a payload, a
 * topic, a packet id or a delivery's message id is found when the store is read
 * back instead of being delivered as if it were what was acknowledged. SQLite
 * checks the shape of its pages (`quick_check`) but not what the rows say.
 *
 * The row is given as the values bound to its columns, in column order. Blobs go
 * through CRC-32 (Node's zlib, fast for payloads); text and numbers, which are
 * short, through FNV-1a in JavaScript, seeded with the blobs' CRC: one native
 * call per row at most, since commits compute it for every record they write
 * and restore for every record it reads. Each value's type and length are mixed
 * in, so that `"ab","c"` differs from `"a","bc"`. Computed on the values as
 * written and as read back, so both sides agree on what SQLite returns: numbers,
 * strings, Buffers and null.
 */
export function rowChecksum(values: readonly unknown[]): number {
  let crc = 0;
  let h = FNV_OFFSET;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'number') {
      number[0] = v;
      h = Math.imul(h ^ words[0]!, FNV_PRIME);
      h = Math.imul(h ^ words[1]!, FNV_PRIME);
    } else if (typeof v === 'string') {
      h = Math.imul(h ^ (0x7e000000 | v.length), FNV_PRIME);
      for (let c = 0; c < v.length; c++) h = Math.imul(h ^ v.charCodeAt(c), FNV_PRIME);
    } else if (v === null || v === undefined) {
      h = Math.imul(h ^ 0x7f000000, FNV_PRIME);
    } else if (v instanceof Uint8Array) {
      h = Math.imul(h ^ (0x7d000000 | v.length), FNV_PRIME);
      // An empty blob from SQLite has no memory behind it, and Node's crc32 answers 0 for it whatever the start value.
      if (v.length > 0) crc = crc32(v, crc);
    } else {
      throw new TypeError(`cannot checksum a ${typeof v}`);
    }
  }
  return (Math.imul(h ^ crc, FNV_PRIME) >>> 0);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const number = new Float64Array(1);
const words = new Uint32Array(number.buffer);

type Crc32 = (data: Uint8Array, value?: number) => number;

/** Node's own CRC-32 (zlib) where it has one (20.15+), the same sum in JavaScript before. */
const crc32: Crc32 = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32 : crc32Fallback;

let table: Uint32Array | undefined;

function crc32Fallback(bytes: Uint8Array, value = 0): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = ~value;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** For the test that the fallback and Node's CRC agree. */
export const crc32ForTest = { native: crc32, fallback: crc32Fallback };
