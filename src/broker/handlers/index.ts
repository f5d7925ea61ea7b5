import { ReasonCode, MqttProtocolError, PacketType, packetTypeNames, type Packet, type PacketOf } from '../../protocol/index.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { HandlerContext } from './context.js';
import { handlePubcomp, handlePuback, handlePubrec, handlePubrel } from './acks.js';
import { handleAuth } from '../enhanced-auth.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePingreq } from './ping.js';
import { handlePublish } from './publish.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

/** A packet handler: returns a promise only when it has to wait (authentication, a store commit). */
export type Handler<P extends Packet> = (ctx: HandlerContext, conn: MqttConnection, packet: P) => void | Promise<void>;

/** Packets only a server sends: receiving one is a protocol error [MQTT-4.8.0-1]. */
const serverOnly: Handler<Packet> = (_ctx, _conn, packet) => {
  throw new MqttProtocolError(ReasonCode.ProtocolError, `a client may not send ${packetTypeNames[packet.type]}`);
};

/** One handler per packet type; `satisfies` makes a missing type a compile error. */
const handlers = {
  [PacketType.CONNECT]: handleConnect,
  [PacketType.CONNACK]: serverOnly,
  [PacketType.PUBLISH]: handlePublish,
  [PacketType.PUBACK]: handlePuback,
  [PacketType.PUBREC]: handlePubrec,
  [PacketType.PUBREL]: handlePubrel,
  [PacketType.PUBCOMP]: handlePubcomp,
  [PacketType.SUBSCRIBE]: handleSubscribe,
  [PacketType.SUBACK]: serverOnly,
  [PacketType.UNSUBSCRIBE]: handleUnsubscribe,
  [PacketType.UNSUBACK]: serverOnly,
  [PacketType.PINGREQ]: handlePingreq,
  [PacketType.PINGRESP]: serverOnly,
  [PacketType.DISCONNECT]: handleDisconnect,
  [PacketType.AUTH]: handleAuth,
} satisfies { [T in Packet['type']]: Handler<PacketOf<T>> };

/** Hands a decoded packet to its handler, with the broker's handler context. */
export function dispatchPacket(ctx: HandlerContext, conn: MqttConnection, packet: Packet): void | Promise<void> {
  if (packet.type !== PacketType.CONNECT && conn.state !== 'open') {
    throw new MqttProtocolError(ReasonCode.ProtocolError, 'packet before CONNACK');
  }
  const handler = handlers[packet.type] as Handler<Packet>;
  return handler(ctx, conn, packet);
}
