/**
 * The pieces of the kill -9 tests: a broker process on a data directory that
 * outlives it, a publisher streaming numbered messages with a wide window and
 * counting the acknowledgements it got, and a subscriber that records what it
 * receives the way a QoS 1/2 receiver must see it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketType, type Packet, type QoS } from '../../src/protocol/index.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { StreamClient, until } from './stream-client.js';

/** A data directory for brokers that come and go; removed by `remove()`. */
export function dataDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'midge-durable-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** `midge broker` on the data directory, with room to queue every message of a test. */
export function spawnDurable(data: string, args: string[] = []): Promise<SpawnedMidge> {
  return spawnMidge({ args: ['--persistence-location', data, '--max-queued-messages', '100000', ...args] });
}

/** SIGKILL, then the spawn helper's clean-up of its working directory. */
export async function killHard(midge: SpawnedMidge): Promise<void> {
  await midge.kill9();
  await midge.stop();
}

/** Options of {@link publishStream}. */
export interface StreamOptions {
  topic: string;
  qos: 1 | 2;
  total: number;
  /** Publishes in flight at once. */
  window: number;
  /** Called after each acknowledgement with the number acknowledged so far. */
  onAck?: (count: number) => void;
}

/**
 * Publishes messages 1..total (payload and packet id: the number), keeping
 * `window` unacknowledged, over MQTT 3.1.1 (no Receive Maximum to respect).
 * Resolves with the numbers the broker acknowledged (PUBACK, or PUBREC for QoS 2)
 * once all are acknowledged or the connection is gone.
 */
export async function publishStream(port: number, o: StreamOptions): Promise<Set<number>> {
  const { client } = await StreamClient.connect(port, { clientId: `pub-${process.pid}-${Date.now()}`, clean: true });
  const acked = new Set<number>();
  let next = 1;
  const fill = () => {
    while (next <= o.total && next - 1 - acked.size < o.window) {
      client.send({ type: PacketType.PUBLISH, topic: o.topic, payload: Buffer.from(String(next)), qos: o.qos, retain: false, dup: false, packetId: next });
      next++;
    }
  };
  const ack = o.qos === 1 ? PacketType.PUBACK : PacketType.PUBREC;
  client.onPacket((p) => {
    if (p.type === ack) {
      acked.add(p.packetId);
      if (o.qos === 2) client.send({ type: PacketType.PUBREL, packetId: p.packetId });
      o.onAck?.(acked.size);
      fill();
    }
  });
  fill();
  let done = false;
  await Promise.race([client.closed, until(() => done || acked.size === o.total, 60_000, () => `${acked.size} of ${o.total} acknowledged`)]);
  done = true;
  await client.destroy();
  return acked;
}

/**
 * The receiving side of a persistent session, kept across connections as a
 * client library keeps it. QoS 1: every PUBLISH is a delivery; a number seen
 * again is a repeat, and must carry DUP. QoS 2: a PUBLISH whose packet id is
 * held (PUBREC sent, PUBREL not yet received) is the same message again and is
 * not delivered twice [MQTT-4.3.3-10]; a number delivered twice is a duplicate.
 */
export class Receiver {
  /** Numbers in the order first delivered. */
  readonly order: number[] = [];
  readonly seen = new Set<number>();
  /** QoS 1 repeats, with their DUP flag. */
  readonly repeats: Array<{ n: number; dup: boolean }> = [];
  /** QoS 2 numbers delivered twice. */
  readonly duplicates: number[] = [];
  private readonly held = new Set<number>();
  private lastActivity = Date.now();

  /** Answers and records what `client` receives from now on. */
  attach(client: StreamClient): void {
    client.onPacket((p) => this.onPacket(client, p));
  }

  /** Resolves once nothing has arrived for `ms` (bounded by `timeoutMs`). */
  async settle(ms: number, timeoutMs = 10_000): Promise<void> {
    await until(() => Date.now() - this.lastActivity >= ms, timeoutMs, () => 'deliveries kept coming');
  }

  private onPacket(client: StreamClient, p: Packet): void {
    this.lastActivity = Date.now();
    if (p.type === PacketType.PUBREL) {
      this.held.delete(p.packetId);
      client.send({ type: PacketType.PUBCOMP, packetId: p.packetId });
      return;
    }
    if (p.type !== PacketType.PUBLISH) return;
    const n = Number(p.payload.toString());
    if (p.qos === 1) {
      this.record(n, p.dup);
      client.send({ type: PacketType.PUBACK, packetId: p.packetId! });
    } else if (p.qos === 2) {
      if (!this.held.has(p.packetId!)) {
        this.held.add(p.packetId!);
        if (this.seen.has(n)) this.duplicates.push(n);
        else this.record(n, p.dup);
      }
      client.send({ type: PacketType.PUBREC, packetId: p.packetId! });
    }
  }

  private record(n: number, dup: boolean): void {
    if (this.seen.has(n)) {
      this.repeats.push({ n, dup });
      return;
    }
    this.seen.add(n);
    this.order.push(n);
  }
}

/** Connects a persistent 3.1.1 session (Clean Session 0) and subscribes it. */
export async function persistentSubscriber(port: number, clientId: string, filter: string, qos: QoS): Promise<StreamClient> {
  const { client, connack } = await StreamClient.connect(port, { clientId, clean: false });
  if (connack.reasonCode !== 0) throw new Error(`CONNACK ${connack.reasonCode}`);
  await client.waitFor((p): p is Packet => p.type === PacketType.SUBACK, 5000, 'SUBACK', () => {
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: filter, qos }] });
  });
  return client;
}
