import { PacketType, encodePublish, publishPacketIdOffset, type ProtocolVersion, type Properties } from '../protocol/index.js';
import { remainingExpirySeconds, shapeIndex } from './message.js';
import type { OutgoingPublish } from './ports/session-link.js';

/**
 * The common case of fan-out: the bytes of a PUBLISH are encoded once per message
 * and shape (protocol family, QoS, RETAIN) and shared by every subscriber; a
 * QoS 1/2 copy only patches its packet id and DUP flag. The first QoS 1/2 copy is
 * encoded with its own id and DUP and kept as the shape's bytes: the next copies are
 * made from it (their id and DUP patched), so a message with one subscriber of its
 * shape (a device's message, a request) costs one buffer, not a template and a copy.
 * Bytes handed to a socket are never written again.
 */
export function encodeSharedPublish(p: OutgoingPublish, version: ProtocolVersion): Buffer {
  const m = p.message;
  const v5 = version === 5;
  const cache = (m.encoded ??= []);
  const slot = shapeIndex(v5, p.qos, p.retain);
  const shared = cache[slot];
  if (!shared) {
    const bytes = encodePublish({
      type: PacketType.PUBLISH, topic: m.topic, payload: m.payload, qos: p.qos, retain: p.retain, dup: p.qos > 0 && p.dup,
      packetId: p.qos > 0 ? p.packetId : undefined, properties: v5 ? m.properties : undefined,
    }, version);
    cache[slot] = bytes;
    return bytes;
  }
  if (p.qos === 0) return shared;
  const bytes = Buffer.allocUnsafe(shared.length);
  shared.copy(bytes);
  bytes.writeUInt16BE(p.packetId!, publishPacketIdOffset(bytes));
  bytes[0] = p.dup ? bytes[0]! | 0x08 : bytes[0]! & ~0x08;
  return bytes;
}

/** Does this v5 copy differ from the shared bytes (ids, expiry, aliases)? */
export function needsCustomEncoding(p: OutgoingPublish, aliases: OutboundTopicAliases | undefined): boolean {
  return p.subscriptionIds !== undefined || p.message.expiresAt !== undefined || aliases !== undefined;
}

/**
 * v5 copies that differ per subscriber: subscription identifiers, the remaining
 * message expiry [MQTT-3.3.2-6], and server-to-client topic aliases. Returns
 * undefined when the copy would exceed `maxPacketSize` (0: no limit), so the
 * caller drops it as the spec says [MQTT-3.1.2-25].
 */
export function encodeCustomPublish(p: OutgoingPublish, aliases: OutboundTopicAliases | undefined, maxPacketSize: number): Buffer | undefined {
  const m = p.message;
  const props: Properties = { ...m.properties };
  const expiry = remainingExpirySeconds(m, Date.now());
  if (expiry !== undefined) props.messageExpiryInterval = expiry;
  if (p.subscriptionIds) props.subscriptionIdentifiers = p.subscriptionIds;
  let topic = m.topic;
  let newAlias: number | undefined;
  if (aliases) {
    const alias = aliases.assign(m.topic);
    props.topicAlias = alias.alias;
    if (alias.known) topic = '';
    else newAlias = alias.alias;
  }
  const bytes = encodePublish({
    type: PacketType.PUBLISH, topic, payload: m.payload, qos: p.qos, retain: p.retain, dup: p.dup,
    packetId: p.packetId, properties: props,
  }, 5);
  if (maxPacketSize > 0 && bytes.length > maxPacketSize) {
    // The client never sees this packet, so it must not learn of (or rely on) the alias.
    if (newAlias !== undefined) aliases!.forget(m.topic, newAlias);
    return undefined;
  }
  return bytes;
}

/**
 * Server-to-client topic aliases of one connection, within the client's Topic
 * Alias Maximum [MQTT-3.3.2-11]: topics get aliases in turn; when all are taken
 * the oldest binding is reused for the new topic (sent in full with the alias).
 * They never outlive the connection [MQTT-3.3.2-7].
 */
export class OutboundTopicAliases {
  private readonly byTopic = new Map<string, number>();
  private readonly byAlias = new Map<number, string>();
  private next = 1;

  constructor(private readonly maximum: number) {}

  /** The alias for a topic, and whether the client already knows it. */
  assign(topic: string): { alias: number; known: boolean } {
    const existing = this.byTopic.get(topic);
    if (existing !== undefined) return { alias: existing, known: true };
    const alias = this.next;
    this.next = alias >= this.maximum ? 1 : alias + 1;
    const previous = this.byAlias.get(alias);
    if (previous !== undefined) this.byTopic.delete(previous);
    this.byAlias.set(alias, topic);
    this.byTopic.set(topic, alias);
    return { alias, known: false };
  }

  /** Undoes an assignment the client never saw. */
  forget(topic: string, alias: number): void {
    this.byTopic.delete(topic);
    this.byAlias.delete(alias);
  }
}
