import { MqttProtocolError, type AuthPacket } from '../../protocol/index.js';
import type { MqttConnection } from '../mqtt-connection.js';

/**
 * AUTH outside an enhanced authentication exchange is a protocol error
 * [MQTT-4.12.0-1]; re-authentication needs an authentication method from CONNECT
 * [MQTT-4.12.1-1].
 */
export function handleAuth(_conn: MqttConnection, _packet: AuthPacket): void {
  throw new MqttProtocolError(0x82, 'AUTH without an authentication method in CONNECT');
}
