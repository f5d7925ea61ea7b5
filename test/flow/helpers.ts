import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PacketType, encodePacket, type QoS } from '../../src/protocol/index.js';
import type { Broker } from '../../src/broker/index.js';
import { connect, subscribe, uniq } from '../helpers/flows.js';
import type { RawClient } from '../helpers/raw-client.js';

export const PYTHON = '/usr/bin/python3';
const STEADY_SUB = new URL('./paho/steady_sub.py', import.meta.url).pathname;

/** What the paho subscriber reports: how many messages arrived, and whether in order. */
export interface SteadyResult {
  received: number;
  inOrder: boolean;
}

/**
 * A paho-mqtt subscriber in its own Python process that reads as fast as it can.
 * Resolves once it is subscribed; `result` resolves when it has `count` messages or
 * `timeoutSeconds` passed.
 */
export async function pahoSubscriber(port: number, topic: string, qos: QoS, count: number, timeoutSeconds = 30): Promise<{ result: Promise<SteadyResult>; kill(): void }> {
  const child = spawn(PYTHON, [STEADY_SUB, String(port), topic, String(qos), String(count), String(timeoutSeconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.value !== 'ready') throw new Error(`the paho subscriber did not start: ${String(first.value)}`);
  const result = iterator.next().then((line) => JSON.parse(String(line.value)) as SteadyResult);
  return { result, kill: () => child.kill() };
}

/**
 * `count` PUBLISH packets of `size` bytes, numbered 0.. in their first 4 bytes (size 0:
 * the number as text), as one buffer: a burst written in one go.
 */
export function burst(topic: string, count: number, size: number, qos: QoS, firstPacketId = 1): Buffer {
  const payload = Buffer.alloc(size, 0x78);
  const packets: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (size >= 4) payload.writeUInt32BE(i, 0);
    const packetId = qos > 0 ? ((firstPacketId + i - 1) % 65535) + 1 : undefined;
    const body = size === 0 ? Buffer.from(String(i)) : payload;
    packets.push(encodePacket({ type: PacketType.PUBLISH, topic, payload: body, qos, retain: false, dup: false, packetId }, 4));
  }
  return Buffer.concat(packets);
}

/** Waits for `count` PUBACKs on a raw client. */
export async function pubacks(client: RawClient, count: number, timeoutMs = 20_000): Promise<void> {
  for (let i = 0; i < count; i++) await client.waitForPacket(PacketType.PUBACK, timeoutMs);
}

/** Drops counted for one reason. */
export function drops(broker: Broker, reason: string): number {
  return broker.stats.droppedByReason.get(reason) ?? 0;
}

/** A connected subscriber to `topic` that stops reading its socket. */
export async function frozenSubscriber(port: number, topic: string, qos: QoS): Promise<{ client: RawClient; clientId: string }> {
  const clientId = uniq('frozen');
  const client = await connect(port, { clientId });
  await subscribe(client, [[topic, qos]]);
  client.socket.pause();
  return { client, clientId };
}
