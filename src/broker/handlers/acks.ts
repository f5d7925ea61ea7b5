import { isFailureCode, ReasonCode, PacketType, type PubackPacket, type PubcompPacket, type PubrecPacket, type PubrelPacket } from '../../protocol/index.js';
import { whenDurable } from '../commit-gate.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { HandlerContext } from './context.js';

/** PUBACK ends a QoS 1 delivery to the client and frees its window slot. */
export function handlePuback(_ctx: HandlerContext, conn: MqttConnection, packet: PubackPacket): void {
  const session = conn.session!;
  if (session.complete(packet.packetId)) session.pump();
}

/**
 * PUBREC for a QoS 2 delivery: answer PUBREL [MQTT-4.3.3-4]. For an id we do not
 * know, v5 answers PUBREL Packet Identifier not found so the client can end its flow.
 */
export function handlePubrec(_ctx: HandlerContext, conn: MqttConnection, packet: PubrecPacket): void {
  const session = conn.session!;
  const failed = isFailureCode(packet.reasonCode ?? ReasonCode.Success);
  if (session.received(packet.packetId, failed)) {
    if (failed) session.pump();
    return;
  }
  if (!failed) {
    conn.send({ type: PacketType.PUBREL, packetId: packet.packetId, reasonCode: ReasonCode.PacketIdentifierNotFound });
  }
}

/**
 * PUBREL for an inbound QoS 2 message: forget the id, answer PUBCOMP
 * [MQTT-4.3.3-11]; from now on the same id is a new message [MQTT-4.3.3-12].
 * The PUBCOMP waits until the release is on disk: a crash that brought the id
 * back would make the client's next message with that id look like a repeat.
 */
export function handlePubrel(ctx: HandlerContext, conn: MqttConnection, packet: PubrelPacket): void | Promise<void> {
  const session = conn.session!;
  const known = session.releaseInbound(packet.packetId);
  if (known && conn.unackedInbound > 0) conn.unackedInbound--;
  const pubcomp = { type: PacketType.PUBCOMP, packetId: packet.packetId, reasonCode: known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound } as const;
  return whenDurable(session.durable ? ctx.store : undefined, () => conn.send(pubcomp), (err: unknown) => {
    ctx.reportError(err, 'store commit');
    conn.close(ReasonCode.UnspecifiedError, 'the release could not be stored');
  });
}

/** PUBCOMP ends a QoS 2 delivery to the client. */
export function handlePubcomp(_ctx: HandlerContext, conn: MqttConnection, packet: PubcompPacket): void {
  const session = conn.session!;
  if (session.complete(packet.packetId)) session.pump();
}
