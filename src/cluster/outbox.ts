import { encodeStoredMessage, toStoredMessage, type BrokerMessage } from '../broker/index.js';
import { describe, guardedRead, isDataLost, sleep, type ClusterContext } from './context.js';
import { encodeEnvelope, type Target } from './envelope.js';
import type { PipelineScripts } from './scripts.js';

/** Messages to send to each node (incarnation) in one round trip, with their target sessions. */
interface Batch {
  byNode: Map<string, Map<BrokerMessage, Target[]>>;
  /** Messages in the batch (each counted once per node it goes to). */
  messages: number;
  /** Resolves with the messages that could not be routed. */
  done: Promise<Set<BrokerMessage>>;
  resolve(failed: Set<BrokerMessage>): void;
}

/**
 * Messages on their way to other nodes. Routing adds targets as it fans a message
 * out (a stand-in's `deliver`); each event-loop turn's additions go to Redis as
 * one pipeline, one XADD per node (up to 256 messages each), one batch in flight at a
 * time (what arrives meanwhile forms the next), so batches grow with load and
 * settle in order, which keeps acknowledgements in order.
 */
export class Outbox {
  private staged: Batch | undefined;
  private inFlight: Batch | undefined;
  /** The batch a message went out in, for its publisher's acknowledgement. */
  private readonly batchOf = new WeakMap<BrokerMessage, Promise<Set<BrokerMessage>>>();

  constructor(private readonly ctx: ClusterContext) {}

  /** Routes `message` to the session `clientId` on node `node` (for the shared group `group`). */
  enqueue(node: string, message: BrokerMessage, clientId: string, group: string | undefined): void {
    const batch = this.stage();
    let messages = batch.byNode.get(node);
    if (!messages) {
      messages = new Map();
      batch.byNode.set(node, messages);
    }
    let targets = messages.get(message);
    if (!targets) {
      // QoS 0 has no acknowledgement to slow its publishers down: while Redis lags this
      // far behind, the publisher is paused until the batch is written; a message with no
      // publisher to pause (a will, $SYS) is dropped (counted) rather than held in memory.
      if (message.qos === 0 && batch.messages >= MAX_STAGED_QOS0 && !this.ctx.broker.flow.holdCurrentUntil(batch.done)) {
        return this.ctx.broker.stats.countDrop('cluster-congested');
      }
      targets = [];
      messages.set(message, targets);
      batch.messages++;
      this.batchOf.set(message, batch.done);
    }
    targets.push({ clientId, group });
  }

  /** See `ClusterBus.settled`. */
  settled(message: BrokerMessage | undefined): Promise<boolean> | undefined {
    const own = message === undefined ? undefined : this.batchOf.get(message);
    const wait = own ?? this.staged?.done ?? this.inFlight?.done;
    if (!wait) return undefined;
    return wait.then((failed) => message === undefined || !failed.has(message));
  }

  private stage(): Batch {
    if (this.staged) return this.staged;
    let resolve!: (failed: Set<BrokerMessage>) => void;
    const done = new Promise<Set<BrokerMessage>>((r) => { resolve = r; });
    this.staged = { byNode: new Map(), messages: 0, done, resolve };
    if (!this.inFlight) setImmediate(() => this.flush());
    return this.staged;
  }

  private flush(): void {
    const batch = this.staged;
    if (!batch || this.inFlight) return;
    this.staged = undefined;
    this.inFlight = batch;
    this.send(batch).catch((err: unknown) => {
      this.ctx.logger.warn({ err: describe(err) }, 'cluster: routing failed');
      return allMessages(batch);
    }).then((failed) => {
      this.inFlight = undefined;
      batch.resolve(failed);
      if (this.staged) this.flush();
    });
  }

  private async send(batch: Batch): Promise<Set<BrokerMessage>> {
    if (!this.ctx.available) return allMessages(batch);
    const { redis, keys } = this.ctx;
    const pipeline = redis.pipeline();
    const queued = pipeline as unknown as PipelineScripts;
    const entries: Array<Array<{ message: BrokerMessage; targets: Target[] }>> = [];
    const bytes = new Map<BrokerMessage, Buffer>();
    for (const [node, messages] of batch.byNode) {
      for (const chunk of chunks(messages, bytes)) {
        queued.midgeRoute(keys.prefix, this.ctx.generation, node, 'p', encodeEnvelope(chunk.map((r) => ({ message: bytes.get(r.message)!, targets: r.targets }))));
        entries.push(chunk);
      }
    }
    const { replication } = this.ctx;
    const replicate = replication.enabled && hasAcknowledged(batch);
    if (replicate) pipeline.wait(replication.replicas, replication.waitMs);
    const replies = (await pipeline.exec()) ?? [];
    const failed = new Set<BrokerMessage>();
    const moved: Array<{ message: BrokerMessage; targets: Target[] }> = [];
    replies.slice(0, entries.length).forEach(([err, reply], i) => {
      if (err) {
        if (isDataLost(err)) this.ctx.lost();
        for (const r of entries[i]!) failed.add(r.message);
      } else if (reply === 0) {
        moved.push(...entries[i]!);
      }
    });
    // Not on enough replicas: a failover could lose it, so none of it is acknowledged.
    if (replicate && !replication.confirmed(replies[entries.length])) return allMessages(batch);
    for (const { message, targets } of moved) {
      if (!failed.has(message) && !(await this.reroute(message, targets))) failed.add(message);
    }
    if (moved.length > 0 && replicate && !(await replication.wait())) return allMessages(batch);
    return failed;
  }

  /**
   * The node a message was for is gone (declared dead, its sessions being adopted):
   * the targets' owners are read again and the message goes to them, waiting for
   * the adoption to finish if need be. False when it could not be delivered in time.
   */
  async reroute(message: BrokerMessage, targets: Target[]): Promise<boolean> {
    const { redis, keys } = this.ctx;
    const deadline = Date.now() + this.ctx.timings.deadAfterMs * 3;
    let left = targets;
    const encoded = encodeStoredMessage(toStoredMessage(message));
    while (left.length > 0) {
      if (Date.now() > deadline || !this.ctx.available) return false;
      // Behind the generation check: an emptied Redis has no owners, which must not read as "the session ended".
      const owners = (await guardedRead(this.ctx, (multi) => {
        for (const t of left) multi.hget(keys.client(t.clientId), 'o');
      })).map(([err, owner]) => {
        if (err) throw err;
        return owner as string | null;
      });
      const byOwner = new Map<string, Target[]>();
      left.forEach((t, i) => {
        const owner = owners[i];
        // No owner: the session ended, there is no one to deliver to.
        if (!owner) return;
        const list = byOwner.get(owner) ?? [];
        list.push(t);
        byOwner.set(owner, list);
      });
      left = [];
      for (const [owner, list] of byOwner) {
        if (owner === this.ctx.me) {
          for (const t of list) await this.deliverHere(message, t);
          continue;
        }
        const id = await redis.midgeRoute(keys.prefix, this.ctx.generation, owner, 'p', encodeEnvelope([{ message: encoded, targets: list }]));
        if (id === 0) left.push(...list);
      }
      if (left.length > 0) await sleep(200);
    }
    return true;
  }

  /** A target that turned out to be this node's own session (it moved here). */
  private async deliverHere(message: BrokerMessage, target: Target): Promise<void> {
    await this.ctx.claiming.get(target.clientId);
    if (!this.ctx.broker.sessions.get(target.clientId)) await this.loadOwned?.(target.clientId);
    this.ctx.broker.deliverFromCluster(message, target.clientId, target.group);
  }

  /** Loads a session this node owns and has not loaded (set by the cluster: {@link Ownership.loadOwned}). */
  loadOwned: ((clientId: string) => Promise<void>) | undefined;
}

/** QoS 0 messages a batch may hold while the previous one is being written. */
const MAX_STAGED_QOS0 = 10_000;

/** Messages (and bytes) per inbox entry: many messages share one XADD, within bounds. */
const ENTRY_MESSAGES = 256;
const ENTRY_BYTES = 512 * 1024;

/** A node's messages in entries of bounded size, each message encoded once in `bytes`. */
function chunks(messages: Map<BrokerMessage, Target[]>, bytes: Map<BrokerMessage, Buffer>): Array<Array<{ message: BrokerMessage; targets: Target[] }>> {
  const out: Array<Array<{ message: BrokerMessage; targets: Target[] }>> = [];
  let current: Array<{ message: BrokerMessage; targets: Target[] }> = [];
  let size = 0;
  for (const [message, targets] of messages) {
    let encoded = bytes.get(message);
    if (!encoded) bytes.set(message, encoded = encodeStoredMessage(toStoredMessage(message)));
    if (current.length > 0 && (current.length >= ENTRY_MESSAGES || size + encoded.length > ENTRY_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push({ message, targets });
    size += encoded.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Whether a publisher waits for an acknowledgement of something in the batch (QoS 1 or 2). */
function hasAcknowledged(batch: Batch): boolean {
  for (const messages of batch.byNode.values()) for (const m of messages.keys()) if (m.qos > 0) return true;
  return false;
}

function allMessages(batch: Batch): Set<BrokerMessage> {
  const all = new Set<BrokerMessage>();
  for (const messages of batch.byNode.values()) for (const m of messages.keys()) all.add(m);
  return all;
}
