import { packetTypeNames } from './constants.js';
import type { Packet, Properties } from './packets.js';
import { reasonCodeName } from './reason-codes.js';

/** Which way a traced packet went. */
export type TraceDirection = 'sent' | 'received';

const BYTES_PER_LINE = 16;
const MAX_PAYLOAD_PREVIEW = 64;

/**
 * Renders a packet the way a protocol analyser shows it: a header line with the
 * type and fixed-header flags, one line per field (properties included), then the
 * exact bytes as a hex dump beside their ASCII. Pure, so the CLI tools, the broker's
 * per-client trace and the tests share it.
 */
export function formatPacketTrace(packet: Packet, bytes: Buffer, direction: TraceDirection, maxDumpBytes = 512): string {
  const arrow = direction === 'sent' ? '>>' : '<<';
  const first = bytes[0] ?? 0;
  const header = `${arrow} ${direction.toUpperCase()} ${packetTypeNames[packet.type]} (0x${hex(first)}, flags 0x${(first & 0x0f).toString(16)}, ${bytes.length} bytes)`;
  const fields = describeFields(packet).map(([k, v]) => `     ${k}: ${v}`);
  return [header, ...fields, ...hexDump(bytes, maxDumpBytes).map((l) => `     ${l}`)].join('\n');
}

/** `0000  32 0c 00 03 61 2f 62 ...  2...a/b...` lines; longer input ends with an elision line. */
export function hexDump(bytes: Buffer, maxBytes = Infinity): string[] {
  const lines: string[] = [];
  const shown = Math.min(bytes.length, maxBytes);
  for (let off = 0; off < shown; off += BYTES_PER_LINE) {
    const chunk = bytes.subarray(off, Math.min(off + BYTES_PER_LINE, shown));
    const hexes = [...chunk].map(hex).join(' ').padEnd(BYTES_PER_LINE * 3 - 1, ' ');
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(4, '0')}  ${hexes}  ${ascii}`);
  }
  if (shown < bytes.length) lines.push(`....  (${bytes.length - shown} more bytes)`);
  return lines;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function payloadText(payload: Buffer): string {
  const preview = payload.subarray(0, MAX_PAYLOAD_PREVIEW);
  const printable = [...preview].every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  const shown = printable ? quote(preview.toString('utf8')) : `0x${preview.toString('hex')}`;
  return `(${payload.length} bytes) ${shown}${payload.length > MAX_PAYLOAD_PREVIEW ? '…' : ''}`;
}

function propertyValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map((v) => (Array.isArray(v) ? `${quote(String(v[0]))}=${quote(String(v[1]))}` : String(v))).join(', ');
  return typeof value === 'string' ? quote(value) : String(value);
}

function propertyFields(props: Properties | undefined, prefix = 'property '): Array<[string, string]> {
  if (!props) return [];
  return Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [`${prefix}${k}`, propertyValue(v)]);
}

function reason(code: number | undefined): string {
  return reasonCodeName(code ?? 0);
}

/** The named fields of each packet type, in wire order. */
function describeFields(p: Packet): Array<[string, string]> {
  switch (p.type) {
    case 1: {
      const f: Array<[string, string]> = [
        ['protocol', `${quote(p.protocolName)} level ${p.protocolVersion}`], ['clean', String(p.clean)],
        ['keepAlive', `${p.keepAlive} s`], ...propertyFields(p.properties), ['clientId', quote(p.clientId)],
      ];
      if (p.will) {
        f.push(['will', `topic ${quote(p.will.topic)} qos ${p.will.qos} retain ${p.will.retain}`], ...propertyFields(p.will.properties, 'will property '));
        f.push(['will payload', payloadText(p.will.payload)]);
      }
      if (p.username !== undefined) f.push(['username', quote(p.username)]);
      if (p.password !== undefined) f.push(['password', `(${p.password.length} bytes, hidden)`]);
      return f;
    }
    case 2: return [['sessionPresent', String(p.sessionPresent)], ['reasonCode', reason(p.reasonCode)], ...propertyFields(p.properties)];
    case 3: {
      const f: Array<[string, string]> = [['qos', String(p.qos)], ['retain', String(p.retain)], ['dup', String(p.dup)], ['topic', quote(p.topic)]];
      if (p.packetId !== undefined) f.push(['packetId', String(p.packetId)]);
      return [...f, ...propertyFields(p.properties), ['payload', payloadText(p.payload)]];
    }
    case 4: case 5: case 6: case 7:
      return [['packetId', String(p.packetId)], ['reasonCode', reason(p.reasonCode)], ...propertyFields(p.properties)];
    case 8:
      return [['packetId', String(p.packetId)], ...propertyFields(p.properties), ...p.subscriptions.map((s, i): [string, string] => [
        `filter[${i}]`,
        `${quote(s.topicFilter)} qos ${s.qos}${s.noLocal ? ' noLocal' : ''}${s.retainAsPublished ? ' retainAsPublished' : ''}${s.retainHandling ? ` retainHandling ${s.retainHandling}` : ''}`,
      ])];
    case 9: return [['packetId', String(p.packetId)], ...propertyFields(p.properties), ['reasonCodes', p.reasonCodes.map(reason).join(', ')]];
    case 10: return [['packetId', String(p.packetId)], ...propertyFields(p.properties), ...p.topicFilters.map((f, i): [string, string] => [`filter[${i}]`, quote(f)])];
    case 11: return [['packetId', String(p.packetId)], ...propertyFields(p.properties), ...(p.reasonCodes ? [['reasonCodes', p.reasonCodes.map(reason).join(', ')] as [string, string]] : [])];
    case 12: case 13: return [];
    case 14: case 15: return [['reasonCode', reason(p.reasonCode)], ...propertyFields(p.properties)];
  }
}
