import { isUtf8 } from 'node:buffer';
import { isFailureCode, ReasonCode, MqttProtocolError, PacketType, type PublishPacket } from '../../protocol/index.js';
import { messageFromPublish } from '../message.js';
import { whenDurable, whenRouted } from '../commit-gate.js';
import { exceedsTopicLevels } from '../limits.js';
import type { BrokerMessage } from '../message.js';
import type { MqttConnection } from '../mqtt-connection.js';

/** Cluster: the message could not be handed to the other nodes (v5 Unspecified error). */
const UNROUTABLE = ReasonCode.UnspecifiedError;

/**
 * PUBLISH from a client: resolve any topic alias, check limits and rights, route,
 * then acknowledge. QoS 2 ids are remembered until PUBREL so that a resent PUBLISH
 * is not routed twice (3.1.1 [MQTT-4.3.3-2], v5 [MQTT-4.3.3-10]). When the message reached the store, the
 * PUBACK/PUBREC waits for its commit: an acknowledged message is never lost.
 */
export function handlePublish(conn: MqttConnection, packet: PublishPacket): void | Promise<void> {
  const { broker } = conn;
  const { limits, retainAvailable } = broker.options;
  const stats = broker.stats;
  stats.publishReceived++;
  stats.publishReceivedByQos[packet.qos]!++;
  stats.publishBytesReceivedByQos[packet.qos]! += packet.payload.length;
  if (packet.qos > limits.maxQos) throw new MqttProtocolError(ReasonCode.QoSNotSupported, `QoS ${packet.qos} is not supported [MQTT-3.2.2-11]`);
  if (packet.retain && !retainAvailable) throw new MqttProtocolError(ReasonCode.RetainNotSupported, 'retained messages are not supported [MQTT-3.2.2-14]');
  const topic = resolveTopic(conn, packet);
  if (exceedsTopicLevels(topic, limits)) {
    throw new MqttProtocolError(ReasonCode.TopicNameInvalid, `topic has more than ${limits.maxTopicLevels} levels`);
  }
  const session = conn.session!;
  if (packet.qos === 2 && !session.addInbound(packet.packetId!)) {
    return acknowledge(conn, packet, 0);
  }
  if (packet.qos > 0) countInbound(conn);
  if (packet.payload.length > limits.maxPayloadSize) {
    // Dropped as Mosquitto drops messages over message_size_limit; v5 learns why.
    stats.countDrop('payload-too-large');
    return acknowledge(conn, packet, conn.protocolVersion === 5 ? ReasonCode.QuotaExceeded : 0);
  }
  const v5 = conn.protocolVersion === 5;
  if (v5 && packet.properties?.payloadFormatIndicator === 1 && !isUtf8(packet.payload)) {
    // The payload must be UTF-8 when the indicator says so (section 3.3.2.3.2).
    if (packet.qos === 0) throw new MqttProtocolError(ReasonCode.PayloadFormatInvalid, 'payload is not UTF-8 as its format indicator says');
    return acknowledge(conn, packet, ReasonCode.PayloadFormatInvalid);
  }
  if (!broker.canPublish(conn.principal, topic, packet.qos, packet.retain, conn.info)) {
    // 3.1.1 has no way to say no: the message is acknowledged and dropped, as Mosquitto does.
    broker.logDenied(conn, 'publish', topic);
    return acknowledge(conn, packet, v5 ? ReasonCode.NotAuthorized : 0);
  }
  // A node cut off from its cluster refuses what it could not route, rather than
  // acknowledge a message that other nodes' subscribers would never get.
  const cluster = broker.options.cluster;
  if (cluster && !cluster.available && packet.qos > 0) return acknowledge(conn, packet, UNROUTABLE);
  const message = messageFromPublish(packet, topic, session.clientId, Date.now());
  const deliveries = broker.publish(message, conn.info);
  const reason = deliveries === 0 && v5 ? ReasonCode.NoMatchingSubscribers : 0;
  return acknowledge(conn, packet, reason, message);
}

/** v5 topic aliases: set on a PUBLISH with a topic, used on one without [MQTT-3.3.2-12]. */
function resolveTopic(conn: MqttConnection, packet: PublishPacket): string {
  const alias = packet.properties?.topicAlias;
  if (alias === undefined) return packet.topic;
  const max = conn.broker.options.limits.topicAliasMaximum;
  if (alias === 0 || alias > max) {
    throw new MqttProtocolError(ReasonCode.TopicAliasInvalid, `topic alias ${alias} is outside 1..${max} [MQTT-3.3.2-8] [MQTT-3.3.2-9]`);
  }
  if (packet.topic.length > 0) {
    conn.inboundAliases.set(alias, packet.topic);
    return packet.topic;
  }
  const topic = conn.inboundAliases.get(alias);
  if (topic === undefined) throw new MqttProtocolError(ReasonCode.ProtocolError, `topic alias ${alias} was never set`);
  return topic;
}

/** The client may not exceed the Receive Maximum we advertised [MQTT-3.3.4-7]. */
function countInbound(conn: MqttConnection): void {
  conn.unackedInbound++;
  if (conn.protocolVersion === 5 && conn.unackedInbound > conn.broker.options.limits.maxInflightMessages) {
    throw new MqttProtocolError(ReasonCode.ReceiveMaximumExceeded, 'receive maximum exceeded [MQTT-3.3.4-7]');
  }
}

/** PUBACK for QoS 1, PUBREC for QoS 2 (nothing for QoS 0). */
const reasons: Record<number, string> = {
  [ReasonCode.NotAuthorized]: 'not authorized to publish to this topic',
  [ReasonCode.PayloadFormatInvalid]: 'payload is not UTF-8 as its format indicator says',
  [ReasonCode.QuotaExceeded]: 'payload larger than the broker accepts',
  [UNROUTABLE]: 'the cluster cannot be reached: the message was not accepted',
};

/**
 * Every PUBACK/PUBREC, refusals and repeats included, waits for the commit of what
 * the store holds so far: none claims more than the disk holds, and they keep the
 * order of the PUBLISH packets they answer (see {@link whenDurable}; in a cluster,
 * {@link whenRouted} also waits for what was routed to other nodes).
 */
function acknowledge(conn: MqttConnection, packet: PublishPacket, reasonCode: number, message?: BrokerMessage): void | Promise<void> {
  if (packet.qos === 0) return;
  const { broker } = conn;
  const failed = (err: unknown) => {
    broker.reportError(err, 'store commit');
    conn.close(ReasonCode.UnspecifiedError, 'the message could not be stored');
  };
  const cluster = broker.options.cluster;
  if (!cluster) return whenDurable(broker.store, () => sendAck(conn, packet, reasonCode), failed);
  return whenRouted(cluster, message, broker.store, () => sendAck(conn, packet, reasonCode), () => sendAck(conn, packet, UNROUTABLE), failed);
}

function sendAck(conn: MqttConnection, packet: PublishPacket, reasonCode: number): void {
  if (conn.state !== 'open') return;
  // 3.1.1 cannot refuse a PUBLISH: the connection closes instead of acknowledging a loss.
  if (reasonCode === UNROUTABLE && conn.protocolVersion !== 5) return conn.close(UNROUTABLE, reasons[UNROUTABLE]!);
  const properties = conn.problem(reasonCode, reasons[reasonCode] ?? '');
  if (packet.qos === 1) {
    if (conn.unackedInbound > 0) conn.unackedInbound--;
    conn.send({ type: PacketType.PUBACK, packetId: packet.packetId!, reasonCode, properties });
  } else if (packet.qos === 2) {
    // A PUBREC with a failure reason code ends the QoS 2 flow: the id is free again.
    if (isFailureCode(reasonCode)) {
      conn.session!.releaseInbound(packet.packetId!);
      if (conn.unackedInbound > 0) conn.unackedInbound--;
    }
    conn.send({ type: PacketType.PUBREC, packetId: packet.packetId!, reasonCode, properties });
  }
}
