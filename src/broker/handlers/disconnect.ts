import { ReasonCode, MqttProtocolError, type DisconnectPacket } from '../../protocol/index.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { HandlerContext } from './context.js';

/**
 * DISCONNECT from the client: the will is discarded [MQTT-3.1.2-10] unless a v5
 * client asks for it with 0x04 [MQTT-3.14.4-3]. A v5 client may change its session
 * expiry here, but not from 0 to more (section 3.14.2.2.2).
 */
export function handleDisconnect(ctx: HandlerContext, conn: MqttConnection, packet: DisconnectPacket): void {
  const session = conn.session!;
  const newExpiry = packet.properties?.sessionExpiryInterval;
  if (newExpiry !== undefined) {
    if (session.expiryInterval === 0 && newExpiry > 0) {
      throw new MqttProtocolError(ReasonCode.ProtocolError, 'session expiry changed from 0 on DISCONNECT (section 3.14.2.2.2)');
    }
    ctx.sessions.setExpiry(session, newExpiry);
  }
  const reasonCode = packet.reasonCode ?? ReasonCode.NormalDisconnection;
  conn.graceful = reasonCode !== ReasonCode.DisconnectWithWillMessage;
  conn.clientDisconnected(reasonCode);
}
