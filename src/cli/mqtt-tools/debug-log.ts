import { PacketType, packetTypeNames, type Packet } from '../../protocol/index.js';
import type { MqttClient, PacketTrace } from '../../client/index.js';

/** A one-line description of a packet in the style of mosquitto's `-d` output. */
export function describePacket(packet: Packet): string {
  const name = packetTypeNames[packet.type];
  switch (packet.type) {
    case PacketType.CONNECT:
      return `${name} (p${packet.protocolVersion}, c${packet.clean ? 1 : 0}, k${packet.keepAlive}, id '${packet.clientId}')`;
    case PacketType.CONNACK:
      return `${name} (${packet.reasonCode}${packet.sessionPresent ? ', session present' : ''})`;
    case PacketType.PUBLISH:
      return `${name} (d${packet.dup ? 1 : 0}, q${packet.qos}, r${packet.retain ? 1 : 0}, m${packet.packetId ?? 0}, '${packet.topic}', ... (${packet.payload.length} bytes))`;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return `${name} (m${packet.packetId}, rc${packet.reasonCode ?? 0})`;
    case PacketType.SUBSCRIBE:
      return `${name} (Mid: ${packet.packetId}, ${packet.subscriptions.map((s) => `Topic: ${s.topicFilter}, QoS: ${s.qos}`).join('; ')})`;
    case PacketType.SUBACK:
      return `${name} (Mid: ${packet.packetId}, ${packet.reasonCodes.join(', ')})`;
    case PacketType.UNSUBSCRIBE:
      return `${name} (Mid: ${packet.packetId}, ${packet.topicFilters.map((f) => `Topic: ${f}`).join('; ')})`;
    case PacketType.UNSUBACK:
      return `${name} (Mid: ${packet.packetId})`;
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return packet.reasonCode ? `${name} (rc${packet.reasonCode})` : name;
    default:
      return name;
  }
}

/** Prints every packet the client sends and receives to stderr (`-d`). */
export function logPackets(client: MqttClient): void {
  client.on('packet', (trace: PacketTrace) => {
    const verb = trace.direction === 'out' ? 'sending' : 'received';
    process.stderr.write(`Client ${client.clientId || '(unassigned)'} ${verb} ${describePacket(trace.packet)}\n`);
  });
}
