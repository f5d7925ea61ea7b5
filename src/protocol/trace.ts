import { PacketType, packetTypeNames, type PacketTypeCode, type ProtocolVersion } from './constants.js';
import type { Packet } from './packets.js';
import { describeFields, hex, plural } from './trace-fields.js';

/** Which way a traced packet went, from the tracing side's point of view. */
export type TraceDirection = 'sent' | 'received';

/** How {@link formatPacketTrace} renders a packet. */
export interface TraceOptions {
  /**
   * The protocol level the bytes are for. It decides what the fields mean (a 3.1.1
   * CONNACK carries a return code, a v5 one a reason code; acknowledgements have
   * reason codes in v5 only). Default: a CONNECT's own level, else 5.
   */
  version?: ProtocolVersion;
  /** Bytes shown in the hex dump; a longer packet ends with a line counting the rest. Default 512. */
  maxDumpBytes?: number;
  /** Payload bytes previewed as text (or hex). Default 64. */
  maxPayloadPreview?: number;
  /**
   * Show a CONNECT's password in the dump. Default false: its bytes print as `**`,
   * so that a trace in a log never holds a secret.
   */
  showPassword?: boolean;
}

const BYTES_PER_LINE = 16;
const INDENT = '   ';

/**
 * Renders a packet the way a protocol analyser shows it: a line with the direction,
 * type and size; the fixed header decoded (type, flags, remaining length); one line
 * per field in wire order, properties nested under their block; then the exact bytes
 * as a hex dump beside their ASCII. Pure, so `--trace`, the broker's per-client
 * trace and the tests share it.
 *
 * ```text
 * >> SENT PUBLISH (12 bytes)
 *    fixed header: 0x30 PUBLISH, dup 0, qos 0, retain 0; remaining length 10
 *    topic: "a/b"
 *    payload: 5 bytes "hello"
 *    0000  30 0a 00 03 61 2f 62 68 65 6c 6c 6f              0...a/bhello
 * ```
 */
export function formatPacketTrace(packet: Packet, bytes: Buffer, direction: TraceDirection, options: TraceOptions = {}): string {
  const version = options.version ?? (packet.type === PacketType.CONNECT ? packet.protocolVersion : 5);
  const arrow = direction === 'sent' ? '>>' : '<<';
  const lines = [
    `${arrow} ${direction.toUpperCase()} ${packetTypeNames[packet.type]} (${bytes.length} ${plural(bytes.length, 'byte')})`,
    `${INDENT}fixed header: ${fixedHeader(bytes)}`,
  ];
  for (const [depth, text] of describeFields(packet, { version, maxPayloadPreview: options.maxPayloadPreview ?? 64 })) {
    lines.push(`${INDENT}${depth === 1 ? '  ' : ''}${text}`);
  }
  for (const line of hexDump(bytes, options.maxDumpBytes ?? 512, options.showPassword ? undefined : passwordAt(packet, bytes))) {
    lines.push(`${INDENT}${line}`);
  }
  return lines.join('\n');
}

/** Where a CONNECT's password sits: it is the last field of the packet [MQTT-3.1.3-1]. */
function passwordAt(packet: Packet, bytes: Buffer): HiddenBytes | undefined {
  if (packet.type !== PacketType.CONNECT || !packet.password?.length) return undefined;
  return { start: bytes.length - packet.password.length, end: bytes.length };
}

/**
 * The fixed header read from the bytes themselves: the first byte's type and flags
 * (PUBLISH's named, the others' shown as the bits the specification fixes) and the
 * remaining length with the number of bytes it took.
 */
function fixedHeader(bytes: Buffer): string {
  if (bytes.length === 0) return '(no bytes)';
  const first = bytes[0]!;
  const type = first >> 4;
  const name = packetTypeNames[type as PacketTypeCode] ?? `reserved type ${type}`;
  const flags = type === PacketType.PUBLISH
    ? `dup ${(first >> 3) & 1}, qos ${(first >> 1) & 3}, retain ${first & 1}`
    : `flags ${(first & 0x0f).toString(2).padStart(4, '0')}`;
  const length = remainingLength(bytes);
  const lengthText = length === undefined
    ? 'remaining length unreadable'
    : `remaining length ${length.value}${length.size > 1 ? ` (${length.size} bytes)` : ''}`;
  return `0x${hex(first)} ${name}, ${flags}; ${lengthText}`;
}

/** The Variable Byte Integer after the first byte, or undefined when it is cut short or too long. */
function remainingLength(bytes: Buffer): { value: number; size: number } | undefined {
  let value = 0;
  for (let i = 1; i <= 4 && i < bytes.length; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * 128 ** (i - 1);
    if ((b & 0x80) === 0) return { value, size: i };
  }
  return undefined;
}

/** A range of bytes a dump masks: from `start` up to, not including, `end`. */
export interface HiddenBytes {
  start: number;
  end: number;
}

/**
 * `0000  32 0c 00 03 61 2f 62 ...  2...a/b...` lines, 16 bytes a line; bytes past
 * `maxBytes` are left out and counted on a last `....` line; `hidden` bytes show as
 * `**` and `*`.
 */
export function hexDump(bytes: Buffer, maxBytes = Infinity, hidden?: HiddenBytes): string[] {
  const lines: string[] = [];
  const shown = Math.min(bytes.length, maxBytes);
  const masked = (at: number): boolean => hidden !== undefined && at >= hidden.start && at < hidden.end;
  for (let off = 0; off < shown; off += BYTES_PER_LINE) {
    const chunk = [...bytes.subarray(off, Math.min(off + BYTES_PER_LINE, shown))];
    const hexes = chunk.map((b, i) => (masked(off + i) ? '**' : hex(b))).join(' ').padEnd(BYTES_PER_LINE * 3 - 1, ' ');
    const ascii = chunk.map((b, i) => (masked(off + i) ? '*' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(4, '0')}  ${hexes}  ${ascii}`);
  }
  if (shown < bytes.length) lines.push(`....  (${bytes.length - shown} more ${plural(bytes.length - shown, 'byte')} not shown)`);
  return lines;
}
