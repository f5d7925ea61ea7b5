import { isFailureCode, PacketType, ReasonCode, type AckPacket, type PublishPacket } from '../protocol/index.js';
import { MqttClientError, ReasonCodeError } from './errors.js';
import { entryPacketId, type InflightStore } from './inflight-store.js';
import type { Outbox } from './outbox.js';
import type { PacketIdAllocator } from './packet-ids.js';
import type { ServerLimits, StoredPublish } from './session-types.js';
import type { OutgoingTopicAliases } from './topic-aliases.js';

/** A publish waiting for a connection or for send quota, in the order they were made. */
type Waiting = { op: number; packet: PublishPacket } | { packetId: number };

/**
 * The client's outgoing PUBLISH flows (MQTT 3.1.1 sections 4.3.1 to 4.3.3): QoS 0
 * fire and forget, QoS 1 PUBLISH/PUBACK, QoS 2 PUBLISH/PUBREC/PUBREL/PUBCOMP, with
 * unacknowledged messages kept in an {@link InflightStore}, flow control by the
 * server's Receive Maximum, and resending after a reconnect.
 */
export class OutgoingFlows {
  private readonly waiting: Waiting[] = [];
  private readonly opByPacketId = new Map<number, number>();
  /** QoS 1/2 PUBLISH packets sent on this connection and not yet acknowledged. */
  private inflight = 0;
  private connected = false;
  private limits: ServerLimits | undefined;

  constructor(
    private readonly store: InflightStore,
    private readonly ids: PacketIdAllocator,
    private readonly aliases: OutgoingTopicAliases,
    private readonly autoTopicAlias: boolean,
  ) {
    // Entries from a durable store belong to an earlier process: their ids are
    // taken, and those never sent wait for a connection like any new message.
    for (const entry of store.entries()) {
      ids.reserve(entryPacketId(entry));
      if (entry.kind === 'publish' && !entry.sent) this.waiting.push({ packetId: entry.packet.packetId });
    }
  }

  /** QoS 1/2 messages sent and not yet acknowledged on this connection (the send quota used). */
  get inflightCount(): number {
    return this.inflight;
  }

  /** Messages waiting for a connection or for send quota. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Starts a publish operation; sends it now when connected and within quota. */
  publish(op: number, packet: PublishPacket, out: Outbox): void {
    if (packet.qos === 0) {
      this.waiting.push({ op, packet });
    } else {
      const packetId = this.ids.allocate();
      const stored: StoredPublish = { ...packet, packetId };
      this.store.put({ kind: 'publish', packet: stored, sent: false });
      this.opByPacketId.set(packetId, op);
      this.waiting.push({ packetId });
    }
    this.drain(out);
  }

  /**
   * A new connection was accepted; the send quota starts again at the server's
   * Receive Maximum [MQTT-4.9.0-1]. With the session resumed, unacknowledged
   * PUBLISH packets are resent with their original packet identifiers and DUP set,
   * and PUBREL packets again, in their original order [MQTT-4.4.0-1] [MQTT-4.6.0-1]
   * [MQTT-3.3.1-1]. Without it that session state is discarded [MQTT-3.2.2-5]: a
   * message whose PUBREC arrived was already accepted and is complete; the others
   * are published again as new messages (DUP 0 [MQTT-4.3.2-2] [MQTT-4.3.3-2]), or
   * failed when `resendOnSessionLoss` is false.
   */
  onConnected(limits: ServerLimits, sessionPresent: boolean, resendOnSessionLoss: boolean, out: Outbox): void {
    this.connected = true;
    this.limits = limits;
    this.inflight = 0;
    this.aliases.reset(limits.topicAliasMaximum);
    const resend: Waiting[] = [];
    for (const entry of this.store.entries()) {
      if (entry.kind === 'pubrel') {
        if (sessionPresent) {
          this.inflight++;
          out.packet({ type: PacketType.PUBREL, packetId: entry.packetId });
        } else {
          this.finish(entry.packetId, out, { reasonCode: ReasonCode.Success });
        }
      } else if (entry.sent) {
        if (sessionPresent || resendOnSessionLoss) {
          if (!sessionPresent) this.store.put({ ...entry, sent: false });
          resend.push({ packetId: entry.packet.packetId });
        } else {
          this.fail(entry.packet.packetId, out, new MqttClientError('SESSION_LOST', 'the server did not keep the session: the message may not have been delivered'));
        }
      }
    }
    this.waiting.unshift(...resend);
    this.drain(out);
  }

  /** The connection is gone: nothing is in flight on it any more. */
  onConnectionLost(): void {
    this.connected = false;
    this.inflight = 0;
  }

  /**
   * PUBACK: the end of a QoS 1 flow; until it came the message was unacknowledged
   * [MQTT-4.3.2-3]. A failure code ends it too, without a resend [MQTT-4.4.0-2].
   */
  onPuback(ack: AckPacket<typeof PacketType.PUBACK>, out: Outbox): void {
    const entry = this.store.get(ack.packetId);
    if (entry?.kind !== 'publish' || entry.packet.qos !== 1) return;
    this.inflight--;
    this.settle(ack, 'PUBACK', out);
    this.drain(out);
  }

  /**
   * PUBREC: the server took the QoS 2 message; answer PUBREL with the same packet
   * identifier [MQTT-4.3.3-4] and keep it until PUBCOMP [MQTT-4.3.3-5]; the PUBLISH
   * is never sent again [MQTT-4.3.3-6]. A failure code ends the flow [MQTT-4.4.0-2].
   * A PUBREC for an identifier we do not know gets PUBREL with 0x92 Packet
   * Identifier not found.
   */
  onPubrec(ack: AckPacket<typeof PacketType.PUBREC>, out: Outbox): void {
    const entry = this.store.get(ack.packetId);
    if (entry?.kind === 'publish' && entry.packet.qos === 2) {
      if (isFailureCode(ack.reasonCode ?? ReasonCode.Success)) {
        this.inflight--;
        this.settle(ack, 'PUBREC', out);
        this.drain(out);
        return;
      }
      this.store.put({ kind: 'pubrel', packetId: ack.packetId });
      out.packet({ type: PacketType.PUBREL, packetId: ack.packetId });
      return;
    }
    const reasonCode = entry?.kind === 'pubrel' ? undefined : ReasonCode.PacketIdentifierNotFound;
    out.packet({ type: PacketType.PUBREL, packetId: ack.packetId, ...(reasonCode ? { reasonCode } : {}) });
  }

  /** PUBCOMP: the end of a QoS 2 flow; the packet identifier is free again. */
  onPubcomp(ack: AckPacket<typeof PacketType.PUBCOMP>, out: Outbox): void {
    if (this.store.get(ack.packetId)?.kind !== 'pubrel') return;
    this.inflight--;
    this.settle(ack, 'PUBCOMP', out);
    this.drain(out);
  }

  /**
   * Fails every publish that waits for a connection or an acknowledgement, for
   * `end()`. QoS 1/2 messages stay in the store, so a durable store can still
   * deliver them from a later process.
   */
  abandon(out: Outbox, error: MqttClientError): void {
    for (const item of this.waiting) {
      if ('op' in item) out.event({ type: 'publish-failed', op: item.op, error });
    }
    this.waiting.length = 0;
    for (const op of this.opByPacketId.values()) out.event({ type: 'publish-failed', op, error });
    this.opByPacketId.clear();
  }

  /** Sends waiting messages in order while connected and within quota. */
  private drain(out: Outbox): void {
    const limits = this.limits;
    if (!this.connected || !limits) return;
    while (this.waiting.length > 0) {
      const head = this.waiting[0]!;
      if ('op' in head) {
        this.waiting.shift();
        this.sendQos0(head.op, head.packet, out, limits);
        continue;
      }
      const entry = this.store.get(head.packetId);
      if (entry?.kind !== 'publish') {
        this.waiting.shift();
        continue;
      }
      // Flow control: never more unacknowledged QoS 1/2 PUBLISH packets than the
      // server's Receive Maximum [MQTT-3.3.4-7] [MQTT-4.9.0-2]. Only PUBLISH waits:
      // acknowledgements and other packets never do [MQTT-3.3.4-8].
      if (this.inflight >= limits.receiveMaximum) return;
      this.waiting.shift();
      this.sendStored(entry.packet, entry.sent, out, limits);
    }
  }

  private sendQos0(op: number, packet: PublishPacket, out: Outbox, limits: ServerLimits): void {
    const problem = this.unsendable(packet, limits);
    if (problem) {
      out.event({ type: 'publish-failed', op, error: problem });
      return;
    }
    const wire = this.withAlias(packet, out, op);
    if (!wire) return;
    const written = out.tryPacket(wire, op);
    if (written !== true) out.event({ type: 'publish-failed', op, error: unwritable(written, wire, out, limits) });
  }

  private sendStored(packet: StoredPublish, resend: boolean, out: Outbox, limits: ServerLimits): void {
    const problem = this.unsendable(packet, limits);
    if (problem) {
      this.fail(packet.packetId, out, problem);
      return;
    }
    const wire = this.withAlias({ ...packet, dup: resend }, out, this.opByPacketId.get(packet.packetId));
    if (!wire) {
      this.forget(packet.packetId);
      return;
    }
    const written = out.tryPacket(wire);
    if (written !== true) {
      this.fail(packet.packetId, out, unwritable(written, wire, out, limits));
      return;
    }
    this.inflight++;
    this.store.put({ kind: 'publish', packet, sent: true });
  }

  /**
   * Checks what the server said it supports: a PUBLISH above its Maximum QoS
   * [MQTT-3.2.2-11] or with RETAIN when Retain Available is 0 [MQTT-3.2.2-14] must
   * not be sent.
   */
  private unsendable(packet: PublishPacket, limits: ServerLimits): MqttClientError | undefined {
    if (packet.qos > limits.maximumQoS) {
      return new ReasonCodeError('PUBLISH', ReasonCode.QoSNotSupported, { reasonString: `the server's Maximum QoS is ${limits.maximumQoS}` });
    }
    if (packet.retain && !limits.retainAvailable) {
      return new ReasonCodeError('PUBLISH', ReasonCode.RetainNotSupported, { reasonString: 'the server does not support retained messages' });
    }
    return undefined;
  }

  /** The packet as written: with a topic alias when one is chosen or given. */
  private withAlias(packet: PublishPacket, out: Outbox, op: number | undefined): PublishPacket | undefined {
    const explicit = packet.properties?.topicAlias;
    if (explicit !== undefined) {
      const problem = this.aliases.useExplicit(packet.topic, explicit);
      if (!problem) return packet;
      out.event({ type: 'publish-failed', op, error: new ReasonCodeError('PUBLISH', ReasonCode.TopicAliasInvalid, { reasonString: problem }) });
      return undefined;
    }
    if (!this.autoTopicAlias) return packet;
    const choice = this.aliases.choose(packet.topic);
    if (choice.alias === undefined) return packet;
    return { ...packet, topic: choice.topic, properties: { ...packet.properties, topicAlias: choice.alias } };
  }

  /** Ends a flow with the server's answer: success, or a failure reason code. */
  private settle(ack: AckPacket<number>, name: string, out: Outbox): void {
    const reasonCode = ack.reasonCode ?? 0;
    if (isFailureCode(reasonCode)) {
      this.fail(ack.packetId, out, new ReasonCodeError(name, reasonCode, ack.properties));
    } else {
      this.finish(ack.packetId, out, { reasonCode, ...(ack.properties ? { properties: ack.properties } : {}) });
    }
  }

  private finish(packetId: number, out: Outbox, outcome: { reasonCode: number; properties?: AckPacket<number>['properties'] }): void {
    const op = this.forget(packetId);
    out.event({ type: 'publish-done', op, outcome: { packetId, ...outcome } });
  }

  private fail(packetId: number, out: Outbox, error: MqttClientError): void {
    const op = this.forget(packetId);
    out.event({ type: 'publish-failed', op, error });
  }

  /** Removes a flow from the store and frees its packet identifier [MQTT-2.2.1-3]. */
  private forget(packetId: number): number | undefined {
    this.store.delete(packetId);
    this.ids.release(packetId);
    const op = this.opByPacketId.get(packetId);
    this.opByPacketId.delete(packetId);
    return op;
  }
}

/** Why a PUBLISH could not be written: above the server's Maximum Packet Size, or not encodable. */
function unwritable(outcome: false | Error, packet: PublishPacket, out: Outbox, limits: ServerLimits): MqttClientError {
  if (outcome instanceof Error) return new MqttClientError('INVALID_ARGUMENT', `the PUBLISH cannot be encoded: ${outcome.message}`);
  return new ReasonCodeError('PUBLISH', ReasonCode.PacketTooLarge, {
    reasonString: `the packet of ${out.sizeOf(packet)} bytes exceeds the server's Maximum Packet Size of ${limits.maximumPacketSize ?? '?'}`,
  });
}
