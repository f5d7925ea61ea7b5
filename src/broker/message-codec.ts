import type { QoS } from '../protocol/index.js';
import type { ForwardedProperties } from './message.js';
import type { StoredMessage } from './ports/store.js';

/**
 * A {@link StoredMessage} as bytes, for adapters that move messages between
 * processes (a Redis store, the cluster bus): a 4-byte length, the metadata as
 * JSON, then the payload as it is. The payload is the bulk of a message, so it is
 * never base64'd or copied into the JSON.
 */
interface MessageHeader {
  i: number;
  t: string;
  q: QoS;
  r?: 1;
  c: number;
  e?: number;
  o?: string;
  x?: 1;
  p?: HeaderProperties;
}

/** Forwarded properties with Buffers as base64 (JSON has no bytes). */
interface HeaderProperties {
  pf?: number;
  ct?: string;
  rt?: string;
  cd?: string;
  up?: Array<[string, string]>;
}

/** Encodes a message (payload last, unchanged). */
export function encodeStoredMessage(m: StoredMessage): Buffer {
  const header: MessageHeader = { i: m.id, t: m.topic, q: m.qos, c: m.createdAt };
  if (m.retain) header.r = 1;
  if (m.expiresAt !== undefined) header.e = m.expiresAt;
  if (m.origin !== undefined) header.o = m.origin;
  if (m.confidential) header.x = 1;
  if (m.properties) header.p = encodeProperties(m.properties);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length + m.payload.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  m.payload.copy(out, 4 + json.length);
  return out;
}

/**
 * Decodes what {@link encodeStoredMessage} wrote. The payload is copied out, so the
 * message does not pin a larger buffer (a whole Redis reply) in memory.
 * Throws a TypeError for bytes that are not an encoded message.
 */
export function decodeStoredMessage(bytes: Buffer): StoredMessage {
  if (bytes.length < 4) throw new TypeError('encoded message too short');
  const length = bytes.readUInt32BE(0);
  if (4 + length > bytes.length) throw new TypeError('encoded message truncated');
  const h = JSON.parse(bytes.toString('utf8', 4, 4 + length)) as MessageHeader;
  if (typeof h.i !== 'number' || typeof h.t !== 'string' || typeof h.c !== 'number') throw new TypeError('encoded message header is invalid');
  return {
    id: h.i,
    topic: h.t,
    payload: Buffer.from(bytes.subarray(4 + length)),
    qos: h.q,
    retain: h.r === 1,
    properties: h.p ? decodeProperties(h.p) : undefined,
    createdAt: h.c,
    expiresAt: h.e,
    origin: h.o,
    confidential: h.x === 1,
  };
}

function encodeProperties(p: ForwardedProperties): HeaderProperties {
  const out: HeaderProperties = {};
  if (p.payloadFormatIndicator !== undefined) out.pf = p.payloadFormatIndicator;
  if (p.contentType !== undefined) out.ct = p.contentType;
  if (p.responseTopic !== undefined) out.rt = p.responseTopic;
  if (p.correlationData !== undefined) out.cd = p.correlationData.toString('base64');
  if (p.userProperties !== undefined) out.up = p.userProperties.map(([k, v]) => [k, v]);
  return out;
}

function decodeProperties(h: HeaderProperties): ForwardedProperties {
  const out: ForwardedProperties = {};
  if (h.pf !== undefined) out.payloadFormatIndicator = h.pf;
  if (h.ct !== undefined) out.contentType = h.ct;
  if (h.rt !== undefined) out.responseTopic = h.rt;
  if (h.cd !== undefined) out.correlationData = Buffer.from(h.cd, 'base64');
  if (h.up !== undefined) out.userProperties = h.up.map(([k, v]) => [k, v] as const);
  return out;
}
