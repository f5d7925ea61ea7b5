import {
  isFailureCode, ReasonCode,
  PacketType, type Properties, type SubackPacket, type SubscribePacket, type Subscription, type UnsubackPacket,
  type UnsubscribePacket,
} from '../protocol/index.js';
import { MqttClientError, ReasonCodeError } from './errors.js';
import type { Outbox } from './outbox.js';
import type { PacketIdAllocator } from './packet-ids.js';

/** A SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement. */
interface PendingRequest {
  op: number | undefined;
  packet: SubscribePacket | UnsubscribePacket;
}

/** A subscription the server granted, kept to subscribe again after a lost session. */
interface ActiveSubscription {
  subscription: Subscription;
  /** The properties of the SUBSCRIBE it came with (subscription identifier, user properties). */
  properties: Properties | undefined;
}

/**
 * SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK flows, and the list of granted
 * subscriptions. Requests made while offline wait for the connection; requests
 * that were on the wire when it broke are sent again, since the server keeps no
 * record of an unacknowledged SUBSCRIBE. When the server did not keep the session
 * (CONNACK Session Present 0) every granted subscription is requested again.
 */
export class SubscriptionFlows {
  private readonly pending = new Map<number, PendingRequest>();
  private readonly active = new Map<string, ActiveSubscription>();
  private connected = false;

  constructor(private readonly ids: PacketIdAllocator) {}

  /** Topic filters the server granted and that were not unsubscribed since. */
  get activeFilters(): string[] {
    return [...this.active.keys()];
  }

  /** Requests waiting for an acknowledgement or a connection. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Starts a SUBSCRIBE; sent now when connected. */
  subscribe(op: number | undefined, subscriptions: Subscription[], properties: Properties | undefined, out: Outbox): void {
    const packet: SubscribePacket = { type: PacketType.SUBSCRIBE, packetId: this.ids.allocate(), subscriptions };
    if (properties) packet.properties = properties;
    this.start(op, packet, out);
  }

  /** Starts an UNSUBSCRIBE; sent now when connected. */
  unsubscribe(op: number, topicFilters: string[], properties: Properties | undefined, out: Outbox): void {
    const packet: UnsubscribePacket = { type: PacketType.UNSUBSCRIBE, packetId: this.ids.allocate(), topicFilters };
    if (properties) packet.properties = properties;
    this.start(op, packet, out);
  }

  /**
   * A connection was accepted: subscribe again when the session was lost and
   * `resubscribe` is on, then send every request still unacknowledged, in order.
   */
  onConnected(sessionPresent: boolean, resubscribe: boolean, out: Outbox): void {
    this.connected = true;
    const waiting = [...this.pending.values()];
    if (!sessionPresent && resubscribe) this.resubscribe(out);
    for (const request of waiting) this.send(request, out);
  }

  /** The connection is gone; pending requests are sent again on the next one. */
  onConnectionLost(): void {
    this.connected = false;
  }

  /**
   * SUBACK: one code per filter, in the order of the SUBSCRIBE [MQTT-3.9.3-1]; a
   * code below 0x80 is the granted QoS [MQTT-3.8.4-7]. A request refused for every
   * filter fails with the first code and the server's reason string.
   */
  onSuback(suback: SubackPacket, out: Outbox): void {
    const request = this.take(suback.packetId, PacketType.SUBSCRIBE);
    if (!request) return;
    const subscriptions = (request.packet as SubscribePacket).subscriptions;
    const codes = subscriptions.map((_, i) => suback.reasonCodes[i] ?? ReasonCode.UnspecifiedError);
    subscriptions.forEach((subscription, i) => {
      if (!isFailureCode(codes[i]!)) this.active.set(subscription.topicFilter, { subscription, properties: request.packet.properties });
      else this.active.delete(subscription.topicFilter);
    });
    if (request.op !== undefined && codes.every(isFailureCode)) {
      out.event({ type: 'subscribe-failed', op: request.op, error: new ReasonCodeError('SUBACK', codes[0]!, suback.properties) });
      return;
    }
    out.event({ type: 'subscribe-done', op: request.op, reasonCodes: codes, subscriptions, ...withProperties(suback.properties) });
  }

  /** UNSUBACK: v5 carries a code per filter [MQTT-3.11.3-1]; 3.1.1 none, read as success. */
  onUnsuback(unsuback: UnsubackPacket, out: Outbox): void {
    const request = this.take(unsuback.packetId, PacketType.UNSUBSCRIBE);
    if (!request) return;
    const filters = (request.packet as UnsubscribePacket).topicFilters;
    const codes = filters.map((_, i) => unsuback.reasonCodes?.[i] ?? 0);
    filters.forEach((filter, i) => {
      if (!isFailureCode(codes[i]!)) this.active.delete(filter);
    });
    if (codes.every(isFailureCode)) {
      out.event({ type: 'unsubscribe-failed', op: request.op, error: new ReasonCodeError('UNSUBACK', codes[0]!, unsuback.properties) });
      return;
    }
    out.event({ type: 'unsubscribe-done', op: request.op, reasonCodes: codes, ...withProperties(unsuback.properties) });
  }

  /** Fails every request still waiting, for `end()`. */
  abandon(out: Outbox, error: MqttClientError): void {
    for (const [packetId, request] of this.pending) {
      this.ids.release(packetId);
      const type = request.packet.type === PacketType.SUBSCRIBE ? 'subscribe-failed' : 'unsubscribe-failed';
      out.event({ type, op: request.op, error });
    }
    this.pending.clear();
  }

  private start(op: number | undefined, packet: SubscribePacket | UnsubscribePacket, out: Outbox): void {
    const request = { op, packet };
    this.pending.set(packet.packetId, request);
    if (this.connected) this.send(request, out);
  }

  /** Writes a request; one too large for the server or not encodable fails alone. */
  private send(request: PendingRequest, out: Outbox): void {
    const written = out.tryPacket(request.packet);
    if (written === true) return;
    this.take(request.packet.packetId, request.packet.type);
    const name = request.packet.type === PacketType.SUBSCRIBE ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
    const error = written instanceof Error
      ? new MqttClientError('INVALID_ARGUMENT', `the ${name} cannot be encoded: ${written.message}`)
      : new ReasonCodeError(name, ReasonCode.PacketTooLarge, { reasonString: `the packet of ${out.sizeOf(request.packet)} bytes exceeds the server's Maximum Packet Size` });
    out.event({ type: request.packet.type === PacketType.SUBSCRIBE ? 'subscribe-failed' : 'unsubscribe-failed', op: request.op, error });
  }

  /** Subscribes again to granted filters not already being requested, grouped by their original properties. */
  private resubscribe(out: Outbox): void {
    const requested = new Set<string>();
    for (const { packet } of this.pending.values()) {
      if (packet.type === PacketType.SUBSCRIBE) for (const s of packet.subscriptions) requested.add(s.topicFilter);
    }
    const groups = new Map<Properties | undefined, Subscription[]>();
    for (const { subscription, properties } of this.active.values()) {
      if (requested.has(subscription.topicFilter)) continue;
      const group = groups.get(properties) ?? [];
      group.push(subscription);
      groups.set(properties, group);
    }
    for (const [properties, subscriptions] of groups) this.subscribe(undefined, subscriptions, properties, out);
  }

  /** Removes the request an acknowledgement answers, if its type matches. */
  private take(packetId: number, type: number): PendingRequest | undefined {
    const request = this.pending.get(packetId);
    if (request?.packet.type !== type) return undefined;
    this.pending.delete(packetId);
    this.ids.release(packetId);
    return request;
  }
}

function withProperties(properties: Properties | undefined): { properties?: Properties } {
  return properties ? { properties } : {};
}
