import { PacketType, type PingreqPacket } from '../../protocol/index.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { HandlerContext } from './context.js';

/** PINGREQ is answered with PINGRESP [MQTT-3.12.4-1]. */
export function handlePingreq(_ctx: HandlerContext, conn: MqttConnection, _packet: PingreqPacket): void {
  conn.send({ type: PacketType.PINGRESP });
}
