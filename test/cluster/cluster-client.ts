/**
 * A test client for the cluster tests: it answers QoS 1/2 deliveries as a client
 * library would, records every message and DISCONNECT it gets, and waits (bounded)
 * for acknowledgements by packet id.
 */
import { PacketType, type Packet, type PacketOf, type Properties, type QoS } from '../../src/protocol/index.js';
import type { RawConnectOptions } from '../helpers/raw-client.js';
import { StreamClient, until } from '../durability/stream-client.js';

/** A message as the client received it. */
export interface Got {
  topic: string;
  payload: string;
  qos: QoS;
  dup: boolean;
  retain: boolean;
}

export class ClusterClient {
  readonly messages: Got[] = [];
  /** The DISCONNECT the broker sent, if any. */
  disconnectPacket: PacketOf<typeof PacketType.DISCONNECT> | undefined;
  closed = false;
  private nextId = 1;
  private readonly waiting = new Map<string, (p: Packet) => void>();
  /** QoS 2 packet ids received and not released yet: a repeat is the same message. */
  private readonly held = new Set<number>();

  /** False: QoS 1 deliveries are recorded but not acknowledged (they stay in flight). */
  autoAck = true;

  private constructor(readonly stream: StreamClient, readonly connack: PacketOf<typeof PacketType.CONNACK>) {
    void stream.closed.then(() => { this.closed = true; });
    stream.onPacket((p) => this.onPacket(p));
  }

  static async connect(port: number, options: RawConnectOptions): Promise<ClusterClient> {
    const { client, connack } = await StreamClient.connect(port, options);
    return new ClusterClient(client, connack);
  }

  /** Subscribes and resolves with the SUBACK's codes. */
  async subscribe(filters: Array<{ topicFilter: string; qos: QoS }>, properties?: Properties): Promise<number[]> {
    const packetId = this.nextId++;
    const suback = await this.request(`${PacketType.SUBACK}:${packetId}`, () => {
      this.stream.send({ type: PacketType.SUBSCRIBE, packetId, subscriptions: filters, properties });
    });
    return (suback as PacketOf<typeof PacketType.SUBACK>).reasonCodes;
  }

  /** Publishes; for QoS 1 resolves with the PUBACK (QoS 2: PUBREC, then completes the flow), QoS 0 at once. */
  async publish(topic: string, payload: string, qos: QoS, retain = false): Promise<Packet | undefined> {
    if (qos === 0) {
      this.stream.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from(payload), qos: 0, retain, dup: false });
      return undefined;
    }
    const packetId = this.nextId++;
    const ack = qos === 1 ? PacketType.PUBACK : PacketType.PUBREC;
    const answer = await this.request(`${ack}:${packetId}`, () => {
      this.stream.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from(payload), qos, retain, dup: false, packetId });
    });
    if (qos === 2) this.stream.send({ type: PacketType.PUBREL, packetId });
    return answer;
  }

  /** The payloads received on topics starting with `prefix`, in order. */
  payloads(prefix: string): string[] {
    return this.messages.filter((m) => m.topic.startsWith(prefix)).map((m) => m.payload);
  }

  /** Waits until `count` messages on topics starting with `prefix` arrived. */
  async waitForCount(prefix: string, count: number, timeoutMs = 10_000): Promise<void> {
    await until(() => this.payloads(prefix).length >= count, timeoutMs, () => `${this.payloads(prefix).length} of ${count} messages on ${prefix}`);
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await until(() => this.closed, timeoutMs, () => 'the connection to close');
  }

  disconnect(): Promise<void> {
    return this.stream.disconnect();
  }

  destroy(): Promise<void> {
    return this.stream.destroy();
  }

  private request(key: string, send: () => void, timeoutMs = 10_000): Promise<Packet> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no answer ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
      send();
    });
  }

  private onPacket(p: Packet): void {
    if (p.type === PacketType.PUBLISH) return this.received(p);
    if (p.type === PacketType.PUBREL) {
      this.held.delete(p.packetId);
      this.stream.send({ type: PacketType.PUBCOMP, packetId: p.packetId });
      return;
    }
    if (p.type === PacketType.DISCONNECT) {
      this.disconnectPacket = p;
      return;
    }
    if ('packetId' in p && p.packetId !== undefined) {
      const key = `${p.type}:${p.packetId}`;
      const waiter = this.waiting.get(key);
      this.waiting.delete(key);
      waiter?.(p);
    }
  }

  private received(p: PacketOf<typeof PacketType.PUBLISH>): void {
    const got: Got = { topic: p.topic, payload: p.payload.toString(), qos: p.qos, dup: p.dup, retain: p.retain };
    if (p.qos === 2) {
      if (!this.held.has(p.packetId!)) this.messages.push(got);
      this.held.add(p.packetId!);
      this.stream.send({ type: PacketType.PUBREC, packetId: p.packetId! });
      return;
    }
    this.messages.push(got);
    if (p.qos === 1 && this.autoAck) this.stream.send({ type: PacketType.PUBACK, packetId: p.packetId! });
  }
}

/**
 * A subscription made on one node applies to messages published on another once
 * that node has read it (normally within milliseconds). Publishes probes on
 * `probeTopic` from `port` until `subscriber` has received one.
 */
export async function awaitRoute(port: number, subscriber: ClusterClient, probeTopic: string, timeoutMs = 10_000): Promise<void> {
  const prober = await ClusterClient.connect(port, { clientId: `prober-${process.pid}-${Math.random().toString(36).slice(2, 8)}` });
  try {
    const deadline = Date.now() + timeoutMs;
    let n = 0;
    while (subscriber.payloads(probeTopic).length === 0) {
      if (Date.now() > deadline) throw new Error(`no route from port ${port} to the subscriber of ${probeTopic}`);
      await prober.publish(probeTopic, `probe-${n++}`, 0);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await prober.destroy();
  }
}
