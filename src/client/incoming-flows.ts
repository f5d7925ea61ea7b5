import {
  MqttProtocolError, PacketType, ReasonCode, type ProtocolVersion, type PublishPacket, type PubrelPacket,
} from '../protocol/index.js';
import type { Outbox } from './outbox.js';
import type { MqttMessage } from './session-types.js';
import { IncomingTopicAliases } from './topic-aliases.js';

/**
 * PUBLISH packets from the server: topic alias resolution, the receiver's side of
 * QoS 1 and 2 (MQTT 3.1.1 sections 4.3.2 and 4.3.3), and the client's Receive
 * Maximum. QoS 2 messages are delivered when their PUBLISH arrives and remembered
 * until PUBREL, so that a resent PUBLISH is not delivered twice.
 */
export class IncomingFlows {
  private readonly aliases: IncomingTopicAliases;
  /** QoS 2 packet identifiers whose PUBREC went out and whose PUBREL has not come. */
  private readonly awaitingRelease = new Set<number>();

  /**
   * @param version the connection's protocol level
   * @param receiveMaximum the Receive Maximum the client sent in CONNECT (65,535 when absent)
   * @param topicAliasMaximum the Topic Alias Maximum the client sent in CONNECT (0 when absent)
   */
  constructor(private readonly version: ProtocolVersion, private readonly receiveMaximum: number, topicAliasMaximum: number) {
    this.aliases = new IncomingTopicAliases(topicAliasMaximum);
  }

  /** A new connection: no topic aliases yet [MQTT-3.3.2-7]; QoS 2 state only if the session was kept [MQTT-3.2.2-5]. */
  onConnected(sessionPresent: boolean): void {
    this.aliases.clear();
    if (!sessionPresent) this.awaitingRelease.clear();
  }

  /**
   * Handles a PUBLISH: delivers it (once) and acknowledges it by its QoS
   * [MQTT-4.5.0-2], in the order the packets arrived [MQTT-4.6.0-2] [MQTT-4.6.0-3].
   * Throws {@link MqttProtocolError} for a bad topic alias or when the server
   * exceeds the client's Receive Maximum (0x93).
   */
  onPublish(packet: PublishPacket, out: Outbox): void {
    const topic = this.version === 5 ? this.aliases.resolve(packet.topic, packet.properties?.topicAlias) : packet.topic;
    const message = toMessage(packet, topic);
    const packetId = packet.packetId ?? 0;
    switch (packet.qos) {
      case 0:
        out.event({ type: 'message', message });
        return;
      case 1:
        // [MQTT-4.3.2-4]: acknowledge with the same packet identifier once the message is ours.
        out.event({ type: 'message', message });
        out.packet({ type: PacketType.PUBACK, packetId });
        return;
      case 2:
        if (!this.awaitingRelease.has(packetId)) {
          if (this.awaitingRelease.size >= this.receiveMaximum) {
            throw new MqttProtocolError(ReasonCode.ReceiveMaximumExceeded, `the server sent more than ${this.receiveMaximum} unacknowledged QoS 2 messages`);
          }
          this.awaitingRelease.add(packetId);
          out.event({ type: 'message', message });
        }
        // [MQTT-4.3.3-8] [MQTT-4.3.3-10]: PUBREC every copy, deliver only the first.
        out.packet({ type: PacketType.PUBREC, packetId });
        return;
    }
  }

  /**
   * PUBREL: answer PUBCOMP with the same packet identifier [MQTT-4.3.3-11]; the
   * identifier then names a new message again [MQTT-4.3.3-12]. An unknown one is
   * answered with 0x92 Packet Identifier not found.
   */
  onPubrel(packet: PubrelPacket, out: Outbox): void {
    const known = this.awaitingRelease.delete(packet.packetId);
    out.packet({
      type: PacketType.PUBCOMP,
      packetId: packet.packetId,
      ...(known ? {} : { reasonCode: ReasonCode.PacketIdentifierNotFound }),
    });
  }
}

function toMessage(packet: PublishPacket, topic: string): MqttMessage {
  const message: MqttMessage = { topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, dup: packet.dup };
  if (packet.packetId !== undefined) message.packetId = packet.packetId;
  if (packet.properties) message.properties = packet.properties;
  return message;
}
