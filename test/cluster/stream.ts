import assert from 'node:assert/strict';
import { ReasonCode, type PacketType, type PacketOf } from '../../src/protocol/index.js';
import { until } from '../durability/stream-client.js';
import type { ClusterClient } from './cluster-client.js';

/** Publishes `prefix-n` QoS 1 messages one at a time, keeping those acknowledged and counting refusals. */
export class Stream {
  readonly acknowledged: string[] = [];
  refused = 0;
  refusal = '';
  private n = 0;
  private running = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly publisher: ClusterClient, private readonly topic: string) {}

  start(): void {
    this.running = true;
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Publishes until `count` more messages were acknowledged. */
  async publish(count: number): Promise<void> {
    const target = this.acknowledged.length + count;
    while (this.acknowledged.length < target) await this.once();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      await this.once();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async once(): Promise<void> {
    const payload = `m-${this.n++}`;
    // Unanswered (within the client's 10 s) is not acknowledged: nothing is promised for it.
    const ack = await this.publisher.publish(this.topic, payload, 1).catch(() => undefined) as PacketOf<typeof PacketType.PUBACK> | undefined;
    // Below 0x80 is success, 0x10 No matching subscribers included: the publisher is done with it.
    if (ack && (ack.reasonCode ?? ReasonCode.Success) < ReasonCode.UnspecifiedError) {
      this.acknowledged.push(payload);
    } else {
      this.refused++;
      this.refusal = ack?.properties?.reasonString ?? 'unanswered';
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Fails, saying how many, unless `subscriber` got every acknowledged message of
 * `stream`, waiting up to 15 s for the last ones. (Counting is not enough: messages
 * that were not acknowledged may arrive too, and repeats.)
 */
export async function assertNoneLost(stream: Stream, subscriber: ClusterClient, topic: string, who: string): Promise<void> {
  const all = stream.acknowledged;
  const missing = () => {
    const received = new Set(subscriber.payloads(topic));
    return all.filter((p) => !received.has(p));
  };
  await until(() => missing().length === 0, 15_000, () => '').catch(() => {});
  const lost = missing();
  assert.deepEqual(lost, [], `${who} lost ${lost.length} of ${all.length} acknowledged messages`);
}
