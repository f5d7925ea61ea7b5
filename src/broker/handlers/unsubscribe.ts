import { ReasonCode, PacketType, type UnsubscribePacket } from '../../protocol/index.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { HandlerContext } from './context.js';

/**
 * UNSUBSCRIBE: each filter is compared character by character with the existing
 * subscriptions and removed [MQTT-3.10.4-1]; UNSUBACK always follows [MQTT-3.10.4-4],
 * in v5 with a reason code per filter, in order [MQTT-3.11.3-1] [MQTT-3.11.3-2].
 */
export function handleUnsubscribe(ctx: HandlerContext, conn: MqttConnection, packet: UnsubscribePacket): void {
  const session = conn.session!;
  const reasonCodes = packet.topicFilters.map((filter) =>
    ctx.pubsub.unsubscribe(session, filter) ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted);
  conn.send({ type: PacketType.UNSUBACK, packetId: packet.packetId, reasonCodes });
}
