import type { ByteReader } from './byte-reader.js';
import { MalformedPacketError, MqttProtocolError, ProtocolViolationError } from './errors.js';
import type { Properties, UserProperty } from './packets.js';
import { propertyById, propertyDefinitions, type PropertyDefinition, type PropertyPlace } from './property-definitions.js';
import { varintSize, writeVarint } from './varint.js';

type Mutable = Record<string, unknown>;

/**
 * Reads a property block (length then properties) for the given place. An unknown
 * identifier, or one the place may not carry, is a Malformed Packet (section
 * 2.2.2.2: "an Identifier which is not valid for its packet type"); a repeated
 * single-instance property is a Protocol Error (stated per property in 3.x.2.x).
 * Both are rows of test/protocol/validation.test.ts.
 * Returns undefined for an empty block so packets without properties stay small.
 */
export function decodeProperties(reader: ByteReader, place: PropertyPlace): Properties | undefined {
  const length = reader.varint('the property length');
  if (length === 0) return undefined;
  if (length > reader.remaining) throw new MalformedPacketError('property length exceeds the packet');
  const end = reader.pos + length;
  const props: Mutable = {};
  while (reader.pos < end) {
    const id = reader.varint('a property identifier');
    const def = id < propertyById.length ? propertyById[id] : undefined;
    if (!def) throw new MalformedPacketError(`unknown property identifier 0x${id.toString(16)}`);
    if (!def.places.includes(place)) {
      throw new MalformedPacketError(`property ${def.key} is not allowed in ${place} (section 2.2.2.2)`);
    }
    const value = readValue(reader, def);
    if (def.repeatable) {
      const list = (props[def.key] as unknown[] | undefined) ?? [];
      list.push(value);
      props[def.key] = list;
    } else {
      if (props[def.key] !== undefined) throw new ProtocolViolationError(`property ${def.key} appears more than once`);
      props[def.key] = value;
    }
    if (reader.pos > end) throw new MalformedPacketError('a property runs past the property length');
  }
  checkValues(props as Properties, place);
  return props as Properties;
}

function readValue(reader: ByteReader, def: PropertyDefinition): unknown {
  const what = `property ${def.key}`;
  switch (def.type) {
    case 'byte': return reader.u8(what);
    case 'uint16': return reader.u16(what);
    case 'uint32': return reader.u32(what);
    case 'varint': return reader.varint(what);
    case 'utf8': return reader.utf8(what);
    case 'binary': return reader.binary(what);
    case 'pair': return [reader.utf8(`${what} name`), reader.utf8(`${what} value`)] satisfies UserProperty;
  }
}

const flagKeys = [
  'payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation', 'maximumQoS',
  'retainAvailable', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable',
] as const;

/**
 * Value rules the spec states per property: protocol errors, and 0x94 for a topic
 * alias of 0 (section 3.3.2.3.4). Rows of test/protocol/validation.test.ts.
 */
function checkValues(props: Properties, place: PropertyPlace): void {
  for (const key of flagKeys) {
    const v = props[key];
    if (v !== undefined && v !== 0 && v !== 1) throw new ProtocolViolationError(`property ${key} must be 0 or 1, not ${v}`);
  }
  if (props.receiveMaximum === 0) throw new ProtocolViolationError('receive maximum must not be 0');
  if (props.maximumPacketSize === 0) throw new ProtocolViolationError('maximum packet size must not be 0');
  if (props.topicAlias === 0) throw new MqttProtocolError(0x94, 'topic alias 0 is not permitted [MQTT-3.3.2-8]');
  if (props.authenticationData !== undefined && props.authenticationMethod === undefined) {
    throw new ProtocolViolationError('authentication data without an authentication method (section 3.1.2.11.10)');
  }
  const ids = props.subscriptionIdentifiers;
  if (ids) {
    if (ids.includes(0)) throw new ProtocolViolationError('subscription identifier must not be 0');
    if (place === 'SUBSCRIBE' && ids.length > 1) throw new ProtocolViolationError('SUBSCRIBE carries at most one subscription identifier');
  }
}

/** Bytes the property block takes, its own length prefix included. */
export function propertiesSize(props: Properties | undefined): number {
  const body = propertiesBodySize(props);
  return varintSize(body) + body;
}

function propertiesBodySize(props: Properties | undefined): number {
  if (!props) return 0;
  let size = 0;
  for (const def of propertyDefinitions) {
    const value = props[def.key];
    if (value === undefined) continue;
    if (def.repeatable) {
      for (const item of value as unknown[]) size += 1 + valueSize(def, item);
    } else {
      size += 1 + valueSize(def, value);
    }
  }
  return size;
}

function valueSize(def: PropertyDefinition, value: unknown): number {
  switch (def.type) {
    case 'byte': return 1;
    case 'uint16': return 2;
    case 'uint32': return 4;
    case 'varint': return varintSize(value as number);
    case 'utf8': return 2 + Buffer.byteLength(value as string);
    case 'binary': return 2 + (value as Buffer).length;
    case 'pair': {
      const [k, v] = value as UserProperty;
      return 4 + Buffer.byteLength(k) + Buffer.byteLength(v);
    }
  }
}

/** Writes the property block at `offset`; returns the offset after it. */
export function writeProperties(buf: Buffer, offset: number, props: Properties | undefined): number {
  offset = writeVarint(buf, offset, propertiesBodySize(props));
  if (!props) return offset;
  for (const def of propertyDefinitions) {
    const value = props[def.key];
    if (value === undefined) continue;
    if (def.repeatable) {
      for (const item of value as unknown[]) offset = writeValue(buf, offset, def, item);
    } else {
      offset = writeValue(buf, offset, def, value);
    }
  }
  return offset;
}

function writeValue(buf: Buffer, offset: number, def: PropertyDefinition, value: unknown): number {
  buf[offset++] = def.id;
  switch (def.type) {
    case 'byte':
      buf[offset] = value as number;
      return offset + 1;
    case 'uint16':
      return buf.writeUInt16BE(value as number, offset);
    case 'uint32':
      return buf.writeUInt32BE(value as number, offset);
    case 'varint':
      return writeVarint(buf, offset, value as number);
    case 'utf8':
      return writeString(buf, offset, value as string);
    case 'binary':
      return writeBinary(buf, offset, value as Buffer);
    case 'pair': {
      const [k, v] = value as UserProperty;
      return writeString(buf, writeString(buf, offset, k), v);
    }
  }
}

/** Writes a length-prefixed UTF-8 string; returns the offset after it. */
export function writeString(buf: Buffer, offset: number, value: string): number {
  const len = buf.write(value, offset + 2, 'utf8');
  if (len > 0xffff) throw new RangeError(`a string of ${len} bytes exceeds the 65,535 byte limit (section 1.5.4)`);
  buf.writeUInt16BE(len, offset);
  return offset + 2 + len;
}

/** Writes length-prefixed binary data; returns the offset after it. */
export function writeBinary(buf: Buffer, offset: number, value: Buffer): number {
  buf.writeUInt16BE(value.length, offset);
  value.copy(buf, offset + 2);
  return offset + 2 + value.length;
}
