/**
 * A checker in the style of Jepsen's queue tests: publishers and persistent QoS 1
 * subscribers on every node of a cluster, nodes killed with SIGKILL and started
 * again while messages flow, then every acknowledged message counted, for every
 * subscriber, as delivered once, duplicated (QoS 1 allows it) or lost (the
 * cluster promises none). Clients behave as client libraries do: a publisher
 * whose node dies reconnects to another and goes on (what it had not had
 * acknowledged is not promised), a subscriber reconnects with its session.
 */
import { PacketType, type Packet } from '../../src/protocol/index.js';
import { StreamClient, until } from '../durability/stream-client.js';

/** The nodes as the clients see them: ports, some of them down at times. */
export interface Cluster {
  ports(): number[];
}

/** What the check found. */
export interface CheckResult {
  publishers: number;
  subscribers: number;
  /** Messages whose PUBACK a publisher received. */
  acknowledged: number;
  /** Acknowledged messages times subscribers: what must arrive. */
  expected: number;
  /** (message, subscriber) pairs that arrived exactly once. */
  delivered: number;
  /** Pairs that arrived more than once (QoS 1 redelivery after a failure). */
  duplicated: number;
  /** Pairs that never arrived. */
  lost: number;
  /** Deliveries of messages their publisher never had acknowledged (allowed). */
  unacknowledgedDelivered: number;
  /** Repeats that came without DUP set (a QoS 1 resend must set it). */
  repeatsWithoutDup: number;
  /** A few lost pairs, for the report. */
  lostSamples: string[];
  /** Reconnections of subscribers and publishers (each node kill causes some). */
  reconnects: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The payload of the probes that show a subscription routes from every node: noted (`probed`), not counted. */
export const PROBE = 'probe';

/** Connects to the first port that accepts, starting after `from`; retries until `stopped()` or the deadline. */
async function connectSomewhere(
  cluster: Cluster, from: number, clientId: string, clean: boolean, stopped: () => boolean,
): Promise<{ client: StreamClient; index: number } | undefined> {
  const deadline = Date.now() + 30_000;
  let i = from;
  while (!stopped() && Date.now() < deadline) {
    const ports = cluster.ports();
    const index = i % ports.length;
    i++;
    try {
      const { client, connack } = await StreamClient.connect(ports[index]!, { clientId, clean });
      if (connack.reasonCode === 0) return { client, index };
      await client.destroy();
    } catch {
      // Node down (refused) or the CONNECT timed out: the next node.
    }
    await sleep(100);
  }
  return undefined;
}

/** A persistent QoS 1 subscriber that follows its session from node to node. */
export class CheckedSubscriber {
  readonly counts = new Map<string, number>();
  /** A probe arrived since this was last set false (see {@link PROBE}). */
  probed = false;
  repeatsWithoutDup = 0;
  reconnects = 0;
  private client: StreamClient | undefined;
  private stopped = false;
  lastActivity = Date.now();

  constructor(private readonly cluster: Cluster, readonly clientId: string, private readonly home: number, private readonly filter: string) {}

  async start(): Promise<void> {
    const { client } = await StreamClient.connect(this.cluster.ports()[this.home]!, { clientId: this.clientId, clean: false });
    await client.waitFor((p): p is Packet => p.type === PacketType.SUBACK, 5000, 'SUBACK', () => {
      client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: this.filter, qos: 1 }] });
    });
    this.attach(client, this.home);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.destroy();
  }

  private attach(client: StreamClient, index: number): void {
    this.client = client;
    client.onPacket((p) => {
      if (p.type !== PacketType.PUBLISH) return;
      this.lastActivity = Date.now();
      if (p.qos > 0) client.send({ type: PacketType.PUBACK, packetId: p.packetId! });
      const payload = p.payload.toString();
      // The test publishes probes again and again, at QoS 0 (never DUP [MQTT-3.3.1-2]): no repeats of a message.
      if (payload === PROBE) {
        this.probed = true;
        return;
      }
      const n = this.counts.get(payload) ?? 0;
      // The broker's second send of a QoS 1 message is a re-delivery: DUP set [MQTT-3.3.1-1].
      if (n > 0 && !p.dup) this.repeatsWithoutDup++;
      this.counts.set(payload, n + 1);
    });
    void client.closed.then(() => this.reconnect(index));
  }

  private async reconnect(from: number): Promise<void> {
    if (this.stopped) return;
    this.reconnects++;
    const found = await connectSomewhere(this.cluster, from + 1, this.clientId, false, () => this.stopped);
    if (!found) return;
    if (this.stopped) return void found.client.destroy();
    this.attach(found.client, found.index);
  }
}

/** A QoS 1 publisher streaming numbered messages with a window, at a steady rate. */
export class CheckedPublisher {
  readonly acknowledged = new Set<string>();
  reconnects = 0;
  private next = 1;

  constructor(private readonly cluster: Cluster, readonly name: string, private readonly home: number, private readonly topic: string) {}

  /** Publishes until `until()` says stop, `ratePerSecond` at most, `window` unacknowledged at once. */
  async run(done: () => boolean, ratePerSecond: number, window: number): Promise<void> {
    let index = this.home;
    let first = true;
    while (!done()) {
      const found = first
        ? await StreamClient.connect(this.cluster.ports()[index]!, { clientId: this.name, clean: true }).then(({ client }) => ({ client, index }), () => undefined)
        : await connectSomewhere(this.cluster, index + 1, this.name, true, done);
      first = false;
      if (!found) continue;
      index = found.index;
      await this.stream(found.client, done, ratePerSecond, window);
      if (!done()) this.reconnects++;
    }
  }

  private async stream(client: StreamClient, done: () => boolean, ratePerSecond: number, window: number): Promise<void> {
    const inflight = new Map<number, string>();
    let packetId = 0;
    client.onPacket((p) => {
      if (p.type !== PacketType.PUBACK) return;
      const payload = inflight.get(p.packetId);
      inflight.delete(p.packetId);
      if (payload !== undefined && (p.reasonCode ?? 0) < 0x80) this.acknowledged.add(payload);
    });
    let closed = false;
    void client.closed.then(() => { closed = true; });
    const started = Date.now();
    let sent = 0;
    while (!closed && !done()) {
      if (inflight.size >= window || sent > ((Date.now() - started) / 1000) * ratePerSecond) {
        await sleep(5);
        continue;
      }
      packetId = (packetId % 65535) + 1;
      const payload = `${this.name}:${this.next++}`;
      inflight.set(packetId, payload);
      client.send({ type: PacketType.PUBLISH, topic: this.topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, packetId });
      sent++;
    }
    // Let what is in flight be acknowledged (or the connection end), then leave.
    await until(() => closed || inflight.size === 0, 10_000, () => `${inflight.size} unacknowledged`).catch(() => {});
    if (!closed) await client.destroy();
  }
}

/** Counts what every subscriber got against what the publishers had acknowledged. */
export function tally(publishers: CheckedPublisher[], subscribers: CheckedSubscriber[]): CheckResult {
  const acked = new Set<string>();
  for (const p of publishers) for (const m of p.acknowledged) acked.add(m);
  const result: CheckResult = {
    publishers: publishers.length, subscribers: subscribers.length, acknowledged: acked.size, expected: acked.size * subscribers.length,
    delivered: 0, duplicated: 0, lost: 0, unacknowledgedDelivered: 0, repeatsWithoutDup: 0, lostSamples: [],
    reconnects: publishers.reduce((n, p) => n + p.reconnects, 0) + subscribers.reduce((n, s) => n + s.reconnects, 0),
  };
  for (const s of subscribers) {
    result.repeatsWithoutDup += s.repeatsWithoutDup;
    for (const m of acked) {
      const n = s.counts.get(m) ?? 0;
      if (n === 1) result.delivered++;
      else if (n > 1) result.duplicated++;
      else {
        result.lost++;
        if (result.lostSamples.length < 10) result.lostSamples.push(`${s.clientId} <- ${m}`);
      }
    }
    for (const m of s.counts.keys()) if (!acked.has(m)) result.unacknowledgedDelivered++;
  }
  return result;
}
