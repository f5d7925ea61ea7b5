import type { MqttClient, ServerLimits } from '../client/index.js';
import { remainingExpirySeconds } from '../broker/message.js';
import type { ClientPrincipal, ListenerSecurity, OutgoingPublish, SessionLink } from '../broker/index.js';
import { encodePacket, PacketType, type Properties, type PublishPacket, type QoS } from '../protocol/index.js';
import type { BridgeConfig } from './options.js';
import type { BridgeStats } from './stats.js';
import type { TopicMap } from './topic-map.js';

/** No authenticators, no authorizers: a bridge carries what its topic lines say, ACLs aside. */
const UNRESTRICTED: ListenerSecurity = { authenticators: [], authorizers: [] };

/**
 * The bridge's local session's link while the remote broker is connected: what the
 * session delivers (its `out` topics) is published to the remote through the client,
 * with the delivery's own packet identifier, so the session's stored state is the
 * remote flow's state and a restart resumes it with DUP [MQTT-4.4.0-1]. The session
 * completes a delivery only on the remote's PUBACK or PUBCOMP (see `Bridge`).
 */
export class BridgeLink implements SessionLink {
  readonly protocolVersion = 5 as const;
  readonly security = UNRESTRICTED;
  readonly principal: ClientPrincipal;
  readonly encrypted: boolean;
  /** The remote's Receive Maximum bounds what the session keeps in flight [MQTT-3.3.4-9]. */
  readonly receiveMaximum: number;
  private readonly limits: ServerLimits;

  constructor(
    private readonly client: MqttClient,
    private readonly config: BridgeConfig,
    private readonly topics: TopicMap,
    private readonly stats: BridgeStats,
    /** Ends the remote connection (the session asked, e.g. its state could not be stored). */
    private readonly onClose: (reasonCode: number, reason: string) => void,
    /** A QoS 1/2 delivery went out at QoS 0 (the remote's Maximum QoS): nothing will acknowledge it. */
    private readonly sentUnacknowledged: (packetId: number) => void,
  ) {
    this.principal = { clientId: config.localClientId, username: undefined, listener: `bridge:${config.name}` };
    this.encrypted = client.url.protocol === 'mqtts:' || client.url.protocol === 'wss:';
    this.limits = client.limits!;
    this.receiveMaximum = this.limits.receiveMaximum;
  }

  /** Connected and under the socket's high-water mark: flow control sees the remote's pace. */
  writable(): boolean {
    return this.client.writable;
  }

  /**
   * Publishes a delivery to the remote: topic mapped by the topic lines, QoS and RETAIN
   * within what the remote allows (v5 Maximum QoS and Retain Available, `bridge_outgoing_retain`).
   * False when the packet is larger than the remote or `bridge_max_packet_size` accepts: the
   * session drops it as too large, counted.
   */
  sendPublish(p: OutgoingPublish): boolean {
    if (!this.client.connected) return true;
    const packet = this.packetFor(p);
    const max = this.config.maxPacketSize;
    if (max > 0 && encodePacket(packet, this.config.protocolVersion).length > max) return this.tooLarge();
    if (!this.client.sendFlow(packet)) return this.tooLarge();
    if (p.qos > 0 && packet.qos === 0) {
      const packetId = p.packetId!;
      // The session is in the middle of sending: it completes the delivery right after.
      queueMicrotask(() => this.sentUnacknowledged(packetId));
    }
    this.stats.messagesSent++;
    this.stats.lastTrafficAt = Date.now();
    return true;
  }

  sendPubrel(packetId: number): void {
    if (this.client.connected) this.client.sendFlow({ type: PacketType.PUBREL, packetId });
  }

  close(reasonCode: number, reason: string): void {
    this.onClose(reasonCode, reason);
  }

  private packetFor(p: OutgoingPublish): PublishPacket {
    const m = p.message;
    const qos = Math.min(p.qos, this.limits.maximumQoS) as QoS;
    const retain = p.retain && this.config.outgoingRetain && this.limits.retainAvailable;
    const packet: PublishPacket = {
      type: PacketType.PUBLISH, topic: this.topics.toRemote(m.topic) ?? m.topic, payload: m.payload,
      qos, retain, dup: p.dup && qos > 0, packetId: qos > 0 ? p.packetId : undefined,
    };
    if (this.config.protocolVersion === 5) {
      const properties: Properties = { ...m.properties };
      const expiry = remainingExpirySeconds(m, Date.now());
      if (expiry !== undefined) properties.messageExpiryInterval = expiry;
      if (Object.keys(properties).length > 0) packet.properties = properties;
    }
    return packet;
  }

  private tooLarge(): false {
    this.stats.messagesDropped++;
    return false;
  }
}
