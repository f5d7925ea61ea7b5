import { whenDurable } from './commit-gate.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { Store } from './ports/store.js';
import type { Delivery } from './session-types.js';

/**
 * A persistent session's deliveries that have a packet id but were never sent: being
 * written to the store (`preparing`), then on disk and ready to go as the inflight
 * window allows. A PUBLISH leaves only once its packet id is durable (after a crash
 * it is resent under that id with DUP, never under a new one: no QoS 2 duplicate);
 * preparing ids ahead of the window, one batch per commit, keeps the window fed at
 * the client's pace instead of one store commit per window.
 */
export class PreparedSends {
  private preparing: Delivery[] = [];
  private readonly ready = new DeliveryQueue<Delivery>();
  /** Bumped when the prepared ones are taken back, so that commits of an earlier round do nothing. */
  private round = 0;

  /** Deliveries prepared and not sent. */
  get size(): number {
    return this.preparing.length + this.ready.length;
  }

  get readyCount(): number {
    return this.ready.length;
  }

  /** A delivery whose packet id was just staged in the store. */
  add(delivery: Delivery): void {
    this.preparing.push(delivery);
  }

  /** Once what the store staged so far is durable, the last `count` added are ready, then `then` runs. */
  readyWhenDurable(store: Store, count: number, then: () => void, failed: () => void): void {
    const round = this.round;
    void whenDurable(store, () => {
      if (round !== this.round) return;
      for (const d of this.preparing.splice(0, count)) this.ready.push(d);
      then();
    }, failed);
  }

  nextReady(): Delivery | undefined {
    return this.ready.shift();
  }

  /** Everything prepared and never sent, in order, taken back (the link is gone). */
  takeBack(): Delivery[] {
    this.round++;
    const all = [...this.ready, ...this.preparing];
    this.ready.clear();
    this.preparing = [];
    return all;
  }
}
