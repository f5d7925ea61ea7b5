import * as zlib from 'node:zlib';

/**
 * CRC-32 of a stored row, so that a flipped byte in a payload, a topic, a packet
 * id or a delivery's message id is found when the store is read back instead of
 * being delivered as if it were what was acknowledged. SQLite checks the shape of
 * its pages (`quick_check`) but not what the rows say.
 *
 * The row is given as the values bound to its columns, in column order: text and
 * blobs are fed to the CRC as they are, numbers (and each text's length, so that
 * `"ab","c"` differs from `"a","bc"`) as 8-byte doubles at the end. Computed on
 * the values as written and as read back, so both sides agree on what SQLite
 * returns: numbers, strings, Buffers and null.
 */
export function rowChecksum(values: readonly unknown[]): number {
  let crc = 0;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'number') numbers[i] = v;
    else if (v === null || v === undefined) numbers[i] = NULL_MARK;
    else if (typeof v === 'string') {
      numbers[i] = -1 - v.length;
      crc = crc32(v, crc);
    } else if (v instanceof Uint8Array) {
      numbers[i] = -1 - v.length;
      // An empty blob from SQLite has no memory behind it, and Node's crc32 answers 0 for it whatever the start value.
      if (v.length > 0) crc = crc32(v, crc);
    } else {
      throw new TypeError(`cannot checksum a ${typeof v}`);
    }
  }
  return crc32(numberViews[n]!, crc);
}

const MAX_COLUMNS = 16;
const NULL_MARK = Number.NEGATIVE_INFINITY;
const numbers = new Float64Array(MAX_COLUMNS);
/** One view per row width, made once: the CRC reads exactly the numbers of the row. */
const numberViews = Array.from({ length: MAX_COLUMNS + 1 }, (_, n) => new Uint8Array(numbers.buffer, 0, n * 8));

type Crc32 = (data: string | Uint8Array, value?: number) => number;

/** Node's own CRC-32 (zlib) where it has one (20.15+), the same sum in JavaScript before. */
const crc32: Crc32 = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32 : crc32Fallback;

let table: Uint32Array | undefined;

function crc32Fallback(data: string | Uint8Array, value = 0): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let crc = ~value;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** For the test that the fallback and Node's CRC agree. */
export const crc32ForTest = { native: crc32, fallback: crc32Fallback };
