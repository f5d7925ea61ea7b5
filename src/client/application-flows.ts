import {
  PacketType, topicNameProblem,
  type ProtocolVersion, type PubackPacket, type PubcompPacket, type PublishPacket, type PubrecPacket, type PubrelPacket,
} from '../protocol/index.js';
import { MqttClientError } from './errors.js';
import type { Outbox } from './outbox.js';
import type { ServerLimits } from './session-types.js';
import { IncomingTopicAliases } from './topic-aliases.js';

/** The packets of the PUBLISH flows (MQTT 3.1.1 sections 4.3.1 to 4.3.3) both ways. */
export type FlowPacket = PublishPacket | PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket;

const FLOW_TYPES: ReadonlySet<number> = new Set([PacketType.PUBLISH, PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP]);

/** True for PUBLISH, PUBACK, PUBREC, PUBREL and PUBCOMP. */
export function isFlowPacket(packet: { type: number }): packet is FlowPacket {
  return FLOW_TYPES.has(packet.type);
}

/**
 * The PUBLISH flows when the application keeps their state (`publishFlows: 'application'`):
 * a bridge or gateway that stores it beside its own data, chooses the packet identifiers,
 * and must resume a flow after its own restart with the same identifier and DUP set
 * [MQTT-4.4.0-1]. Every flow packet from the server goes to the application as a `flow`
 * event (topic alias resolved); the application answers each one itself, when it is ready
 * (e.g. a PUBACK only once the message is on disk [MQTT-4.3.2-4]). The client still checks
 * what it sends against the server's limits and keeps the connection, keep alive and
 * subscriptions.
 */
export class ApplicationFlows {
  private readonly aliases: IncomingTopicAliases;

  /** @param topicAliasMaximum the Topic Alias Maximum the client sent in CONNECT (0 when absent) */
  constructor(private readonly version: ProtocolVersion, topicAliasMaximum: number) {
    this.aliases = new IncomingTopicAliases(topicAliasMaximum);
  }

  /** A new connection: topic aliases start again [MQTT-3.3.2-7]. */
  onConnected(): void {
    this.aliases.clear();
  }

  /** A flow packet from the server, handed on with any topic alias resolved. */
  onPacket(packet: FlowPacket, out: Outbox): void {
    if (packet.type === PacketType.PUBLISH && this.version === 5 && packet.properties?.topicAlias !== undefined) {
      const topic = this.aliases.resolve(packet.topic, packet.properties.topicAlias);
      const { topicAlias: _alias, ...properties } = packet.properties;
      out.event({ type: 'flow', packet: { ...packet, topic, properties } });
      return;
    }
    out.event({ type: 'flow', packet });
  }

  /**
   * Encodes a flow packet from the application. Returns false, sending nothing, when it is
   * larger than the server's Maximum Packet Size [MQTT-3.2.2-15]. Throws for a PUBLISH the
   * server said it does not take (above its Maximum QoS [MQTT-3.2.2-11], RETAIN without
   * Retain Available [MQTT-3.2.2-14]), a bad topic, or a QoS 1/2 PUBLISH without packet id.
   */
  send(packet: FlowPacket, limits: ServerLimits, out: Outbox): boolean {
    if (packet.type === PacketType.PUBLISH) checkPublish(packet, limits);
    const written = out.tryPacket(packet);
    if (written instanceof Error) throw new MqttClientError('INVALID_ARGUMENT', `the ${packet.type === PacketType.PUBLISH ? 'PUBLISH' : 'packet'} cannot be encoded: ${written.message}`);
    return written;
  }
}

function checkPublish(packet: PublishPacket, limits: ServerLimits): void {
  const problem = topicNameProblem(packet.topic);
  if (problem) throw new MqttClientError('INVALID_TOPIC', `invalid topic name '${packet.topic}': ${problem}`);
  if ((packet.qos === 0) !== (packet.packetId === undefined)) {
    throw new MqttClientError('INVALID_ARGUMENT', 'a QoS 1 or 2 PUBLISH needs a packet identifier, a QoS 0 one has none [MQTT-2.2.1-2]');
  }
  if (packet.qos > limits.maximumQoS) {
    throw new MqttClientError('INVALID_ARGUMENT', `QoS ${packet.qos} is above the server's Maximum QoS ${limits.maximumQoS} [MQTT-3.2.2-11]`);
  }
  if (packet.retain && !limits.retainAvailable) {
    throw new MqttClientError('INVALID_ARGUMENT', 'the server does not support retained messages [MQTT-3.2.2-14]');
  }
}
