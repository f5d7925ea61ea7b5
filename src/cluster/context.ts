import type { Redis } from 'ioredis';
import type { Broker, Logger, RestoredState, Store, StoredMessage } from '../broker/index.js';
import type { ClusterKeys } from './keys.js';
import type { ScriptCommands } from './scripts.js';

/**
 * What the cluster needs of its store beyond the `Store` port: the Redis store
 * (`src/persistence/redis-store.ts`) has it. Declared here, and matched by
 * structure, so that the two adapters never import each other.
 */
export interface ClusterStore extends Store {
  /** One client's records, each delivery with its own message. */
  loadSession(clientId: string): Promise<RestoredState>;
  /** Every retained message with the number of its last change, and the last number. */
  loadRetained(): Promise<{ seq: number; retained: Array<{ message: StoredMessage; seq: number }> }>;
  /** Acknowledges an inbox entry in the next commit, atomically with what it caused. */
  stageAck(stream: string, group: string, id: string): void;
  /** Pub/sub channel of retained changes: `seq \0 origin \0 topic \0 bytes`. */
  readonly retainedChannel: string;
}

/** Timings of a cluster (milliseconds). */
export interface ClusterTimings {
  /** How often a node says it is alive. Default 1000. */
  heartbeatMs: number;
  /** A node silent this long is dead: survivors adopt its sessions and publish its wills. Default 3000. */
  deadAfterMs: number;
  /** How long a CONNECT waits for the previous owner of its session to hand it over. Default 5000. */
  handoverTimeoutMs: number;
  /** How often the copy of the cluster's subscriptions is read again in full. Default 30000. */
  resyncMs: number;
}

export const defaultTimings: ClusterTimings = { heartbeatMs: 1000, deadAfterMs: 3000, handoverTimeoutMs: 5000, resyncMs: 30_000 };

/** The state the parts of one node's cluster link share. */
export interface ClusterContext {
  readonly broker: Broker;
  readonly store: ClusterStore;
  /** Commands and scripts: fails fast while Redis is out of reach, so nothing waits unseen. */
  readonly redis: Redis & ScriptCommands;
  readonly keys: ClusterKeys;
  readonly timings: ClusterTimings;
  readonly logger: Logger;
  /** This incarnation (`nodeId#n`); changes when a node that was declared dead rejoins. */
  me: string;
  /** Whether Redis is reachable and this node a member. */
  available: boolean;
  /** This node's fencing token for each client id it owns. */
  readonly tokens: Map<string, string>;
  /** Client ids whose CONNECT is claiming them here: deliveries for them wait. */
  readonly claiming: Map<string, Promise<void>>;
}

/** A promise with its resolver. */
export function signal(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

/** Resolves after `ms` (timers do not keep the process alive). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A short description of an error, for logs. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
