/**
 * Reads traces as `formatPacketTrace` prints them (`--trace`, the broker's
 * `trace_clients` log): splits a stream of them into packets and reads the bytes
 * back out of each hex dump, so tests can compare them with what the codec made.
 */

/** One byte of a dump: its value, or 'masked' where the dump shows `**`. */
export type DumpByte = number | 'masked';

/** One traced packet: its first line and every line after it up to the next packet. */
export interface TracedPacket {
  header: string;
  lines: string[];
}

const HEADER = /^(>>|<<) (SENT|RECEIVED) [A-Z]+ \(\d+ bytes?\)$/;
const DUMP_LINE = /^(\s*)([0-9a-f]{4}) {2}((?:[0-9a-f]{2}|\*\*)(?: (?:[0-9a-f]{2}|\*\*))*) {2}/;
/** Where the ASCII column starts after the offset: 4 digits, 2 blanks, 16 cells of 3, 1 blank. */
const ASCII_COLUMN = 4 + 2 + 16 * 3 - 1 + 2;

/** Splits text holding traces (and maybe other lines before them) into packets. */
export function splitTraces(text: string): TracedPacket[] {
  const packets: TracedPacket[] = [];
  for (const line of text.split('\n')) {
    if (HEADER.test(line)) packets.push({ header: line, lines: [] });
    else if (line.trim() !== '') packets.at(-1)?.lines.push(line);
  }
  return packets;
}

/**
 * The bytes of a dump, in order. Each line's offset must follow on from the bytes
 * before it, so a dump that skips or repeats a line does not read as whole.
 */
export function dumpBytes(lines: readonly string[]): DumpByte[] {
  const bytes: DumpByte[] = [];
  for (const line of lines) {
    const match = DUMP_LINE.exec(line);
    if (!match) continue;
    const offset = parseInt(match[2]!, 16);
    if (offset !== bytes.length) throw new Error(`dump line at 0x${match[2]} follows ${bytes.length} bytes: ${line}`);
    for (const cell of match[3]!.split(' ')) bytes.push(cell === '**' ? 'masked' : parseInt(cell, 16));
  }
  return bytes;
}

/** The ASCII column of each dump line, joined. */
export function dumpAscii(lines: readonly string[]): string {
  return lines.map((line) => {
    const match = DUMP_LINE.exec(line);
    return match ? line.slice(match[1]!.length + ASCII_COLUMN) : '';
  }).join('');
}
