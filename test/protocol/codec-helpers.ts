import assert from 'node:assert/strict';
import {
  MqttProtocolError, PacketFramer, PacketType, decodePacket, type Packet, type Properties, type ProtocolVersion,
} from '../../src/protocol/index.js';

/** Cuts `bytes` with a fresh framer and decodes every frame for `version`. */
export function decodeAll(bytes: Buffer, version: ProtocolVersion, maxPacketSize?: number): Packet[] {
  const framer = new PacketFramer(maxPacketSize);
  const out: Packet[] = [];
  framer.push(bytes, (first, body) => out.push(decodePacket(first, body, version)));
  assert.equal(framer.buffered, 0, 'bytes left over after the last whole frame');
  return out;
}

/** Decodes bytes that hold exactly one packet. */
export function decodeOne(bytes: Buffer, version: ProtocolVersion): Packet {
  const packets = decodeAll(bytes, version);
  assert.equal(packets.length, 1, `expected one packet, got ${packets.length}`);
  return packets[0]!;
}

/**
 * Asserts that `run` throws an {@link MqttProtocolError} with `reasonCode` whose
 * message contains `because` (so the test knows which rule fired, not just that
 * something did).
 */
export function assertRejects(run: () => unknown, reasonCode: number, because: string): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof MqttProtocolError, `expected an MqttProtocolError, got ${String(err)}`);
    assert.equal(err.reasonCode, reasonCode, `reason code of: ${err.message}`);
    assert.ok(err.message.includes(because), `expected '${because}' in: ${err.message}`);
    return true;
  });
}

/**
 * The packet as the wire gives it back: what an encode/decode round trip, or a
 * codec that does not keep the distinction, cannot tell apart. Each rule:
 * - an empty property block, or an empty user property / subscription id list, is
 *   the same bytes as no properties, so it becomes absent;
 * - in v5 PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT and AUTH, reason code 0x00
 *   with no properties is written in the short form that omits it, so it becomes
 *   absent; with properties it is written, so an absent one becomes 0x00;
 * - a v5 UNSUBACK without reason codes has an empty list on the wire;
 * - MQTT 3.1 has no Session Present flag, so it reads back false.
 */
export function canonical(packet: Packet, version: ProtocolVersion): Packet {
  const out = { ...packet } as Packet & { properties?: Properties; reasonCode?: number };
  if ('properties' in out) {
    const props = canonicalProperties(out.properties);
    if (props) out.properties = props;
    else delete out.properties;
  }
  switch (out.type) {
    case PacketType.CONNECT:
      if (out.will) {
        const will = { ...out.will };
        const props = canonicalProperties(will.properties);
        if (props) will.properties = props;
        else delete will.properties;
        out.will = will;
      }
      break;
    case PacketType.CONNACK:
      if (version === 3) out.sessionPresent = false;
      break;
    case PacketType.UNSUBACK:
      if (version === 5) out.reasonCodes ??= [];
      break;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      if (out.properties) out.reasonCode ??= 0;
      else if (out.reasonCode === 0) delete out.reasonCode;
      break;
  }
  return out;
}

function canonicalProperties(props: Properties | undefined): Properties | undefined {
  if (!props) return undefined;
  const out: Properties = {};
  for (const [key, value] of Object.entries(props) as [keyof Properties, unknown][]) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    (out as Record<string, unknown>)[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
