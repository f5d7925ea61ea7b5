import { ReasonCode, type PacketType, type PacketOf } from '../../src/protocol/index.js';
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
