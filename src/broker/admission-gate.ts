import { whenDurable } from './commit-gate.js';
import type { BrokerMessage } from './message.js';
import type { ClusterBus } from './ports/cluster.js';
import type { ClientPrincipal } from './ports/auth.js';
import type { Store } from './ports/store.js';
import type { ConnectionInfo } from './ports/transport.js';

/** Who publishes, as admission sees it: an MQTT connection or an MQTT-SN client alike. */
export interface Publisher {
  readonly principal: ClientPrincipal;
  readonly info: ConnectionInfo;
  /**
   * Stops reading what this publisher sends until the returned function is called: how an
   * acknowledgement wait (flow control) can hold back a publisher whose messages cannot be
   * taken yet, QoS 0 included. Absent where the way in cannot pause.
   */
  pauseInput?(): () => void;
}

/**
 * One condition the acknowledgement of a publish waits for, by name. `check` returns
 * undefined when the condition holds now (the common case, which costs no promise), else a
 * promise of true once it holds, or false when the message must be refused after all.
 * Promises must resolve in the order they were asked for, so that acknowledgements keep
 * the order of the publishes they answer. `message` is undefined for the answer to a
 * refused or repeated publish (it still waits, to keep that order); `publisher` is
 * undefined for the broker's own publishes.
 */
export interface AcknowledgementWait {
  readonly name: string;
  check(message: BrokerMessage | undefined, publisher: Publisher | undefined): Promise<boolean> | undefined;
}

/** Removes what was added. */
export type RemoveWait = () => void;

/**
 * "Acknowledge when safe": the waits every acknowledgement of a publish goes through, in
 * order. First `routed` (in a cluster, everything routed to other nodes so far has been
 * handed over), then the waits added with {@link add} (flow control: room in the
 * subscribers' queues), and last, always, the store: everything staged so far is on disk
 * (see `whenDurable`), even for a refusal, since what it answers may rest on state not yet
 * there.
 */
export class AcknowledgementGate {
  private waits: readonly AcknowledgementWait[];

  constructor(cluster: ClusterBus | undefined, private readonly store: Store | undefined) {
    this.waits = cluster ? [{ name: 'routed', check: (message) => cluster.settled(message) }] : [];
  }

  /** The waits in the order they run, the store's last (for logs and tests). */
  get names(): string[] {
    return [...this.waits.map((wait) => wait.name), 'durable'];
  }

  /** Adds a wait, after those already there and before the store's. */
  add(wait: AcknowledgementWait): RemoveWait {
    this.waits = [...this.waits, wait];
    return () => {
      this.waits = this.waits.filter((w) => w !== wait);
    };
  }

  /** See `PublishAdmission.whenSafe`. */
  whenSafe(
    message: BrokerMessage | undefined, publisher: Publisher | undefined, answer: (routed: boolean) => void, failed: (err: unknown) => void,
  ): void | Promise<void> {
    return this.from(0, message, publisher, answer, failed);
  }

  private from(
    first: number, message: BrokerMessage | undefined, publisher: Publisher | undefined,
    answer: (routed: boolean) => void, failed: (err: unknown) => void,
  ): void | Promise<void> {
    const waits = this.waits;
    for (let i = first; i < waits.length; i++) {
      const pending = waits[i]!.check(message, publisher);
      if (pending === undefined) continue;
      return pending.then(
        (ok) => (ok ? this.from(i + 1, message, publisher, answer, failed) : whenDurable(this.store, () => answer(false), failed)),
        failed,
      );
    }
    // Nothing staged (no store, QoS 0 traffic, clean sessions only): answer now, no closure made.
    if (!this.store?.pending) {
      answer(true);
      return undefined;
    }
    return whenDurable(this.store, () => answer(true), failed);
  }
}
