import type { ChainableCommander, Redis } from 'ioredis';
import type { Broker, Logger, RestoredState, Store, StoredMessage } from '../broker/index.js';
import type { ClusterKeys } from './keys.js';
import type { Replication } from './replication.js';
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
  /** Writes back retained messages for the topics that have none, with the next commit. */
  restoreRetained(messages: StoredMessage[]): void;
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
  /** Whether Redis is reachable, holds this node's generation, and this node is a member. */
  available: boolean;
  /**
   * The generation of the cluster's state this node works in (keys.ts): every
   * script and guarded read checks it, and fails with {@link DataLostError} when
   * Redis holds another one or none.
   */
  generation: string;
  /** Whether the link to Redis is up and this node a member: it heartbeats, available or not. */
  linked: boolean;
  /** Reports that Redis lost the cluster's state (or may have): the node stops acknowledging and rebuilds. */
  lost(): void;
  /** Reports local sessions whose records this node may no longer write: it finds out who owns them. */
  fenced(clientIds: string[]): void;
  /** Replicas what is acknowledged must reach first (`cluster_wait_replicas`). */
  readonly replication: Replication;
  /** This node's fencing token for each client id it owns. */
  readonly tokens: Map<string, string>;
  /** Client ids whose CONNECT is claiming them here: deliveries for them wait. */
  readonly claiming: Map<string, Promise<void>>;
}

/**
 * Redis no longer holds this node's generation: it restarted without its data, was
 * flushed, or was replaced. Scripts raise it as a `MIDGELOST` error reply.
 */
export class DataLostError extends Error {
  constructor(message = 'the cluster state in Redis is gone or was replaced') {
    super(message);
    this.name = 'DataLostError';
  }
}

/** Whether an error (a script's error reply included) says Redis lost the cluster's state. */
export function isDataLost(err: unknown): boolean {
  return err instanceof DataLostError || (err instanceof Error && err.message.startsWith('MIDGELOST'));
}

/**
 * Reads in one MULTI behind a check of the generation, so that what an empty
 * Redis answers (no records, no subscribers) is never taken for the cluster's
 * state: it throws {@link DataLostError} instead, and reports the loss.
 */
export async function guardedRead(ctx: ClusterContext, queue: (multi: ChainableCommander) => void): Promise<Array<[Error | null, unknown]>> {
  const multi = ctx.redis.multi().get(ctx.keys.generation);
  queue(multi);
  const replies = (await multi.exec()) ?? [];
  const [err, generation] = replies[0] ?? [new Error('the read was aborted'), undefined];
  if (err) throw err;
  if (generation !== ctx.generation) {
    ctx.lost();
    throw new DataLostError();
  }
  return replies.slice(1);
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
