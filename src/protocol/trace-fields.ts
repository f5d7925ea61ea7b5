import { PacketType, type ProtocolVersion } from './constants.js';
import type { ConnectPacket, Packet, Properties, Subscription } from './packets.js';
import { propertyByKey } from './property-definitions.js';
import { reasonCodeName } from './reason-codes.js';

/** One line of a packet's description: its depth (0 field, 1 nested) and text. */
export type FieldLine = readonly [depth: 0 | 1, text: string];

/** How payloads and binary properties are previewed. */
export interface FieldOptions {
  version: ProtocolVersion;
  /** Payload bytes shown as text or hex; the rest is counted. */
  maxPayloadPreview: number;
}

/** MQTT 3.1 / 3.1.1 CONNACK return codes (section 3.2.2.3 of 3.1.1), by code. */
const connackReturnCodes: readonly string[] = [
  'Connection Accepted', 'unacceptable protocol version', 'identifier rejected', 'Server unavailable',
  'bad user name or password', 'not authorized',
];

const versionNames: Readonly<Record<ProtocolVersion, string>> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5.0' };

/** The named fields of a packet, in wire order: variable header, then payload. */
export function describeFields(p: Packet, o: FieldOptions): FieldLine[] {
  switch (p.type) {
    case PacketType.CONNECT: return connectFields(p, o);
    case PacketType.CONNACK: {
      const code = o.version === 5 ? `reason code: ${reasonCodeName(p.reasonCode)}` : `return code: ${returnCode(p.reasonCode)}`;
      return [field(`session present: ${p.sessionPresent ? 1 : 0}`), field(code), ...propertyBlock(p.properties, o.version)];
    }
    case PacketType.PUBLISH: {
      const lines = [field(`topic: ${quote(p.topic)}${p.topic === '' ? ' (empty: the topic alias stands for it)' : ''}`)];
      if (p.packetId !== undefined) lines.push(field(`packet id: ${p.packetId}`));
      return [...lines, ...propertyBlock(p.properties, o.version), field(`payload: ${payloadText(p.payload, o.maxPayloadPreview)}`)];
    }
    case PacketType.PUBACK: case PacketType.PUBREC: case PacketType.PUBREL: case PacketType.PUBCOMP:
      return [field(`packet id: ${p.packetId}`), ...reasonLine(p.reasonCode, o.version, 'Success'), ...propertyLines(p.properties)];
    case PacketType.SUBSCRIBE:
      return [field(`packet id: ${p.packetId}`), ...propertyBlock(p.properties, o.version), ...p.subscriptions.map((s) => field(subscriptionText(s, o.version)))];
    case PacketType.SUBACK:
      return [
        field(`packet id: ${p.packetId}`), ...propertyBlock(p.properties, o.version),
        ...p.reasonCodes.map((c) => field(`${o.version === 5 ? 'reason' : 'return'} code: ${subackCode(c, o.version)}`)),
      ];
    case PacketType.UNSUBSCRIBE:
      return [field(`packet id: ${p.packetId}`), ...propertyBlock(p.properties, o.version), ...p.topicFilters.map((f) => field(`filter: ${quote(f)}`))];
    case PacketType.UNSUBACK:
      return [
        field(`packet id: ${p.packetId}`), ...propertyBlock(p.properties, o.version),
        ...(p.reasonCodes ?? []).map((c) => field(`reason code: ${reasonCodeName(c)}`)),
      ];
    case PacketType.PINGREQ: case PacketType.PINGRESP:
      return [];
    case PacketType.DISCONNECT:
      return [...reasonLine(p.reasonCode, o.version, 'Normal disconnection'), ...propertyLines(p.properties)];
    case PacketType.AUTH:
      return [...reasonLine(p.reasonCode, o.version, 'Success'), ...propertyLines(p.properties)];
  }
}

function connectFields(p: ConnectPacket, o: FieldOptions): FieldLine[] {
  const lines: FieldLine[] = [
    field(`protocol: ${quote(p.protocolName)}, level ${p.protocolVersion} (${versionNames[p.protocolVersion] ?? 'unknown'})`),
    field(`connect flags: 0x${hex(connectFlags(p))} (${connectFlagNames(p).join(', ') || 'none'})`),
    field(`keep alive: ${p.keepAlive} s${p.keepAlive === 0 ? ' (off)' : ''}`),
    ...propertyBlock(p.properties, p.protocolVersion),
    field(`client id: ${quote(p.clientId)}${p.clientId === '' ? ' (empty: the server assigns one, if it allows)' : ''}`),
  ];
  if (p.will) {
    lines.push(...propertyBlock(p.will.properties, p.protocolVersion, 'will properties:'));
    lines.push(field(`will topic: ${quote(p.will.topic)}`), field(`will payload: ${payloadText(p.will.payload, o.maxPayloadPreview)}`));
  }
  if (p.username !== undefined) lines.push(field(`username: ${quote(p.username)}`));
  if (p.password !== undefined) lines.push(field(`password: ${p.password.length} ${plural(p.password.length, 'byte')} (hidden)`));
  return lines;
}

/** The Connect Flags byte as the encoder writes it (section 3.1.2.3). */
function connectFlags(p: ConnectPacket): number {
  let flags = p.clean ? 0x02 : 0;
  if (p.will) flags |= 0x04 | (p.will.qos << 3) | (p.will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  return flags;
}

function connectFlagNames(p: ConnectPacket): string[] {
  const names: string[] = [];
  if (p.username !== undefined) names.push('username');
  if (p.password !== undefined) names.push('password');
  if (p.will) names.push(...(p.will.retain ? ['will retain'] : []), `will qos ${p.will.qos}`, 'will');
  if (p.clean) names.push(p.protocolVersion === 5 ? 'clean start' : 'clean session');
  return names;
}

/**
 * A v5 acknowledgement may leave its reason code out when it is 0x00 (the short
 * form); before v5 the field does not exist, so nothing is shown.
 */
function reasonLine(code: number | undefined, version: ProtocolVersion, zeroName: string): FieldLine[] {
  if (version !== 5) return [];
  if (code === undefined) return [field(`reason code: 0x00 ${zeroName} (left out, as the short form allows)`)];
  return [field(`reason code: ${code === 0 ? `0x00 ${zeroName}` : reasonCodeName(code)}`)];
}

function returnCode(code: number): string {
  const name = connackReturnCodes[code];
  return name ? `0x${hex(code)} ${name}` : `0x${hex(code)}`;
}

function subackCode(code: number, version: ProtocolVersion): string {
  if (code <= 2) return `0x${hex(code)} Granted QoS ${code}`;
  return version === 5 ? reasonCodeName(code) : `0x${hex(code)} Failure`;
}

function subscriptionText(s: Subscription, version: ProtocolVersion): string {
  const options = [`qos ${s.qos}`];
  if (version === 5) {
    if (s.noLocal) options.push('no local');
    if (s.retainAsPublished) options.push('retain as published');
    if (s.retainHandling) options.push(`retain handling ${s.retainHandling}`);
  }
  return `filter: ${quote(s.topicFilter)}, ${options.join(', ')}`;
}

/**
 * The properties of a packet whose v5 form always has a Property Length: "none"
 * when it is 0, so that the `00` in the dump has a name.
 */
function propertyBlock(props: Properties | undefined, version: ProtocolVersion, heading = 'properties:'): FieldLine[] {
  if (version !== 5) return [];
  const lines = propertyLines(props, heading);
  return lines.length > 0 ? lines : [field(`${heading} none`)];
}

/** Names of the repeatable properties for one of their values. */
const singular: Partial<Record<keyof Properties, string>> = {
  userProperties: 'userProperty', subscriptionIdentifiers: 'subscriptionIdentifier',
};

/**
 * A properties block: a heading, then one nested line per property (a repeated one
 * once per value), named by identifier and by their key in {@link Properties}.
 */
function propertyLines(props: Properties | undefined, heading = 'properties:'): FieldLine[] {
  if (!props) return [];
  const lines: FieldLine[] = [];
  for (const [key, value] of Object.entries(props) as Array<[keyof Properties, Properties[keyof Properties]]>) {
    if (value === undefined) continue;
    const id = propertyByKey.get(key)?.id;
    const label = `${id === undefined ? '' : `0x${hex(id)} `}${singular[key] ?? key}`;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) lines.push([1, `${label}: ${propertyValue(key, v)}`]);
  }
  return lines.length > 0 ? [field(heading), ...lines] : [];
}

function propertyValue(key: keyof Properties, value: unknown): string {
  if (Buffer.isBuffer(value)) return `${value.length} ${plural(value.length, 'byte')} 0x${value.toString('hex')}`;
  if (Array.isArray(value)) return `${quote(String(value[0]))} = ${quote(String(value[1]))}`;
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' && (key.endsWith('Interval') || key === 'serverKeepAlive')) {
    return value === 0xffffffff ? `${value} s (never expires)` : `${value} s`;
  }
  return String(value);
}

/**
 * A payload: its size, then its text when it is printable UTF-8 (quoted), else its
 * bytes in hex; only the first `max` bytes are shown.
 */
export function payloadText(payload: Buffer, max: number): string {
  const size = `${payload.length} ${plural(payload.length, 'byte')}`;
  if (payload.length === 0) return size;
  const preview = payload.subarray(0, max);
  const rest = payload.length > max ? ` ... (${payload.length - max} more)` : '';
  return `${size} ${printable(preview) ? quote(preview.toString('utf8')) : `0x${preview.toString('hex')}`}${rest}`;
}

/** Text a terminal can show as is: tabs, line ends, printable ASCII and (valid) UTF-8. */
function printable(bytes: Buffer): boolean {
  if (!bytes.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || b >= 0x20) || bytes.includes(0x7f)) return false;
  // A preview cut inside a multi-byte character is still text; anything else invalid is not.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return !text.slice(0, -1).includes('\ufffd');
}

function field(text: string): FieldLine {
  return [0, text];
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** A byte as two lower-case hex digits. */
export function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** `word`, with an `s` unless `n` is 1. */
export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
