/** Number of bytes a Variable Byte Integer takes (1 to 4) [MQTT-1.5.5-1]. */
export function varintSize(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  return 4;
}

/** Writes a Variable Byte Integer at `offset` and returns the offset after it. */
export function writeVarint(buf: Buffer, offset: number, value: number): number {
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    buf[offset++] = byte;
  } while (v > 0);
  return offset;
}
