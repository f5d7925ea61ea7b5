import { PacketType, type PingreqPacket } from '../../protocol/index.js';
import type { MqttConnection } from '../mqtt-connection.js';

/** PINGREQ is answered with PINGRESP [MQTT-3.12.4-1]. */
export function handlePingreq(conn: MqttConnection, _packet: PingreqPacket): void {
  conn.send({ type: PacketType.PINGRESP });
}
