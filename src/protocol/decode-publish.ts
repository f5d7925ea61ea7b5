import { ByteReader, decodeMqttString } from './byte-reader.js';
import { PacketType, type ProtocolVersion, type QoS } from './constants.js';
import { MalformedPacketError, MqttProtocolError, ProtocolViolationError } from './errors.js';
import type { PublishPacket } from './packets.js';
import { decodeProperties } from './properties.js';

const EMPTY = Buffer.alloc(0);

/**
 * PUBLISH (section 3.3), the hot path. QoS 3 is malformed [MQTT-3.3.1-4]; DUP set at
 * QoS 0 is a protocol error [MQTT-3.3.1-2]; packet id 0 is a protocol error
 * [MQTT-2.2.1-3]; the topic name has no wildcards [MQTT-3.3.2-2] and is not empty
 * unless a v5 topic alias stands for it (section 3.3.2.1) [MQTT-4.7.3-1] (each checked
 * by the row of that name in test/protocol/validation.test.ts).
 *
 * Costs per packet: one pass over the topic bytes, one string, the packet object,
 * and one copy of the payload (see {@link ownPayload}), so that it never pins the
 * socket chunk it arrived in (a 64 KiB chunk kept alive by a retained 10-byte message).
 */
export function decodePublish(flags: number, body: Buffer, version: ProtocolVersion): PublishPacket {
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) throw new MalformedPacketError('PUBLISH with QoS 3 [MQTT-3.3.1-4]');
  const dup = (flags & 0x08) !== 0;
  if (dup && qos === 0) throw new ProtocolViolationError('DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]');
  const end = body.length;
  if (end < 2) throw new MalformedPacketError('packet ends inside the topic length');
  let pos = 2 + ((body[0]! << 8) | body[1]!);
  if (pos > end) throw new MalformedPacketError('packet ends inside the topic name');
  const topic = decodeTopicName(body, 2, pos);
  const retain = (flags & 0x01) !== 0;
  // Two literals rather than adding packetId later keep one object shape per QoS kind.
  let packet: PublishPacket;
  if (qos === 0) {
    packet = { type: PacketType.PUBLISH, topic, payload: EMPTY, qos, retain, dup };
  } else {
    if (pos + 2 > end) throw new MalformedPacketError('packet ends inside the PUBLISH packet identifier');
    const packetId = (body[pos]! << 8) | body[pos + 1]!;
    if (packetId === 0) throw new ProtocolViolationError('PUBLISH packet identifier 0 [MQTT-2.2.1-3]');
    pos += 2;
    packet = { type: PacketType.PUBLISH, topic, payload: EMPTY, qos: qos as QoS, retain, dup, packetId };
  }
  if (version === 5) {
    const r = new ByteReader(body, pos);
    const props = decodeProperties(r, 'PUBLISH');
    pos = r.pos;
    if (props) packet.properties = props;
    if (topic.length === 0 && props?.topicAlias === undefined) {
      throw new ProtocolViolationError('empty topic name without a topic alias (section 3.3.2.1)');
    }
  } else if (topic.length === 0) {
    throw new ProtocolViolationError('empty topic name [MQTT-4.7.3-1]');
  }
  if (pos < end) packet.payload = ownPayload(body, pos, end);
  return packet;
}

/**
 * Bytes besides the payload that a payload's view may keep alive however small the
 * payload: a header and a topic of a hundred-odd bytes. A small message read alone
 * (a device's reading) then costs no copy, and pins less than a copy in Node's 8 KiB
 * buffer pool would.
 */
const VIEW_SLACK_BYTES = 128;

/**
 * The payload `body[pos..end)` as a buffer of its own: a copy, unless the memory that
 * `body` is a view of holds little else than the payload, at most an eighth more or
 * {@link VIEW_SLACK_BYTES} (its packet's header, topic and properties: a frame the framer
 * joined from several socket chunks, or a read that brought this packet alone). Then the
 * view pins nothing another packet would have freed, and the payload is not copied once more.
 */
function ownPayload(body: Buffer, pos: number, end: number): Buffer {
  const length = end - pos;
  const slack = body.buffer.byteLength - length;
  if (slack <= length >>> 3 || slack <= VIEW_SLACK_BYTES) return body.subarray(pos, end);
  const payload = Buffer.allocUnsafe(length);
  body.copy(payload, 0, pos, end);
  return payload;
}

/**
 * Topic names: no wildcards [MQTT-3.3.2-2], no U+0000, well-formed UTF-8
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2]. One pass finds all three for the common ASCII
 * topic; `+` and `#` cannot occur inside a multi-byte sequence, so scanning raw
 * bytes for them is exact.
 */
function decodeTopicName(buf: Buffer, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x2b || b === 0x23) throw new MqttProtocolError(0x90, 'topic name contains a wildcard [MQTT-3.3.2-2]');
    if (b === 0) throw new MalformedPacketError('the topic name contains U+0000');
    if (b >= 0x80) ascii = false;
  }
  return ascii ? buf.toString('latin1', start, end) : decodeMqttString(buf, start, end, 'the topic name');
}
