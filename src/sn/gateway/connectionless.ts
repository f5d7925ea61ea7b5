import type { ConnectionInfo } from '../../broker/index.js';
import {
  SnMsgType, SnReturnCode, type SnPlainMessage, type SnPublishMessage, type SnReturnCodeValue,
} from '../protocol/index.js';
import type { SnClientLink } from './client-link.js';
import type { SnAddress, SnGatewayContext } from './context.js';
import { publishRefusal, resolveInboundTopic, route, wireTopicId } from './publish.js';
import { ReasonCode } from '../../protocol/index.js';

/**
 * Messages that only make sense on a connection. From an address the gateway does not
 * know they are answered with DISCONNECT, which tells a client that the gateway cannot
 * map its message to a client and it should connect again [MQTT-SN-1.2 6.12]. Messages
 * a gateway sends (acks, ADVERTISE, ...) are never answered, so two gateways cannot
 * keep each other busy.
 */
const needsConnection = new Set<number>([
  SnMsgType.WILLTOPIC, SnMsgType.WILLMSG, SnMsgType.REGISTER, SnMsgType.PUBLISH, SnMsgType.PUBREL,
  SnMsgType.SUBSCRIBE, SnMsgType.UNSUBSCRIBE, SnMsgType.PINGREQ, SnMsgType.WILLTOPICUPD, SnMsgType.WILLMSGUPD,
]);

/**
 * A message from an address with no client (CONNECT and SEARCHGW are handled before).
 * Every answer is at most as large as the request ({@link SnGatewayContext.reply}), so a
 * spoofed source address cannot turn the gateway into an amplifier.
 */
export function handleUnknownSender(ctx: SnGatewayContext, address: SnAddress, m: SnPlainMessage, size: number): void | Promise<void> {
  if (m.type === SnMsgType.PUBLISH && m.qos === -1) return handleQosMinusOne(ctx, address, m, size);
  if (needsConnection.has(m.type)) ctx.reply(address, { type: SnMsgType.DISCONNECT }, size);
}

/**
 * PUBLISH with QoS -1 [MQTT-SN-1.2 6.8]: no connection, no registration; the topic is a
 * predefined id or a short topic name. An unknown id is answered PUBACK "rejected:
 * invalid topic ID". The sender is authenticated as an anonymous client (empty client
 * id) and the ACLs decide the topic.
 */
async function handleQosMinusOne(ctx: SnGatewayContext, address: SnAddress, m: SnPublishMessage, size: number): Promise<void> {
  const reject = (returnCode: SnReturnCodeValue): void =>
    ctx.reply(address, { type: SnMsgType.PUBACK, topicId: wireTopicId(m.topic), msgId: m.msgId, returnCode }, size);
  const topic = resolveInboundTopic(ctx, undefined, m.topic);
  if (topic === undefined) return reject(SnReturnCode.REJECTED_INVALID_TOPIC_ID);
  const info: ConnectionInfo = {
    listener: ctx.listener, transport: 'mqttsn', remoteAddress: address.address, remotePort: address.port,
    encrypted: false, confidential: false, certificate: undefined, security: undefined,
  };
  const auth = await ctx.broker.access.authenticate({ clientId: '', protocolVersion: 4, listener: ctx.listener, remoteAddress: address.address }, info);
  if (auth.outcome === 'deny') return reject(SnReturnCode.REJECTED_NOT_SUPPORTED);
  const principal = { clientId: '', username: auth.outcome === 'allow' ? auth.username : undefined, listener: ctx.listener };
  const refusal = publishRefusal(ctx, { principal, info }, topic, 0, m.retain, m.data);
  if (refusal !== undefined) return reject(refusal);
  route(ctx, info, undefined, topic, m);
}

/**
 * The answer to a message larger than `maxMessageSize`: "rejected: congestion" in the
 * message's own acknowledgement [MQTT-SN-1.2 5.3.10]; undefined when it has none. A
 * client whose CONNECT, WILLTOPIC or WILLMSG is too large gets CONNACK with it.
 */
export function congestionReply(m: SnPlainMessage): SnPlainMessage | undefined {
  const returnCode = SnReturnCode.REJECTED_CONGESTION;
  switch (m.type) {
    case SnMsgType.PUBLISH: return { type: SnMsgType.PUBACK, topicId: wireTopicId(m.topic), msgId: m.msgId, returnCode };
    case SnMsgType.REGISTER: return { type: SnMsgType.REGACK, topicId: 0, msgId: m.msgId, returnCode };
    case SnMsgType.SUBSCRIBE: return { type: SnMsgType.SUBACK, qos: 0, topicId: 0, msgId: m.msgId, returnCode };
    case SnMsgType.CONNECT: case SnMsgType.WILLTOPIC: case SnMsgType.WILLMSG: return { type: SnMsgType.CONNACK, returnCode };
    case SnMsgType.WILLTOPICUPD: return { type: SnMsgType.WILLTOPICRESP, returnCode };
    case SnMsgType.WILLMSGUPD: return { type: SnMsgType.WILLMSGRESP, returnCode };
    default: return undefined;
  }
}

/**
 * A datagram over the maximum message size. A known client gets congestion in the
 * matching acknowledgement (and a client still connecting is refused); from an unknown
 * address only a CONNECT or a QoS -1 PUBLISH is answered, never with more bytes.
 */
export function handleTooLarge(ctx: SnGatewayContext, address: SnAddress, link: SnClientLink | undefined, m: SnPlainMessage, size: number): void {
  ctx.logger.debug({ remoteAddress: address.address, size, max: ctx.options.maxMessageSize }, 'MQTT-SN message too large');
  const reply = congestionReply(m);
  if (!reply) return;
  if (link && link.state !== 'closed') {
    // WILLTOPIC and WILLMSG belong to the connection setup only.
    if (reply.type === SnMsgType.CONNACK && link.open && m.type !== SnMsgType.CONNECT) return;
    link.send(reply);
    if (reply.type === SnMsgType.CONNACK) link.end(ReasonCode.PacketTooLarge, 'message too large during CONNECT', true);
    return;
  }
  const answerable = m.type === SnMsgType.CONNECT || (m.type === SnMsgType.PUBLISH && m.qos === -1);
  if (answerable) ctx.reply(address, reply, size);
}
