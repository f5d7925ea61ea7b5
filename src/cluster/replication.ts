import type { Redis } from 'ioredis';

/** The longest Redis WAIT before what waits for it is refused. */
const MAX_WAIT_MS = 1000;

/** A pipeline's reply to one command. */
type Reply = [Error | null, unknown] | undefined;

/**
 * `cluster_wait_replicas`: what a node acknowledges must be on that many Redis
 * replicas first (Redis WAIT after the write, on the same connection), so that
 * a Sentinel failover, which promotes the most up-to-date replica, cannot lose
 * it. While the primary cannot confirm that many replicas, the node is degraded:
 * it refuses QoS 1/2 publishes and CONNECTs, as when Redis is out of reach,
 * until a probe finds the replicas back. With 0 nothing waits.
 */
export class Replication {
  private degraded = false;
  /** Redis's error when it refused WAIT itself, for the log line. */
  refusedBy: string | undefined;

  /**
   * How long one WAIT may take. Heartbeats share the connection and queue behind a
   * WAIT, so it stays well inside the time after which a silent node is declared dead.
   */
  readonly waitMs: number;

  constructor(
    private readonly redis: Redis, readonly replicas: number, timings: { heartbeatMs: number; deadAfterMs: number },
    /** Called when the node turns degraded (true) or recovers (false). */
    private readonly onDegraded: (degraded: boolean, replicasInSync: number) => void,
  ) {
    this.waitMs = Math.max(50, Math.min(MAX_WAIT_MS, Math.floor((timings.deadAfterMs - timings.heartbeatMs) / 2)));
  }

  get enabled(): boolean {
    return this.replicas > 0;
  }

  /** Judges WAIT's reply in a pipeline: true when enough replicas have every write before it. */
  confirmed(reply: Reply): boolean {
    const [err, count] = reply ?? [new Error('no reply to WAIT'), 0];
    // A lost link, or one left on a replica after a failover (it connects again), is the
    // link's business, not the replicas'.
    if (err && (err.name !== 'ReplyError' || err.message.startsWith('WAIT cannot be used with replica'))) return false;
    // Redis refusing WAIT (an ACL, a proxy) means no replica can ever be confirmed.
    if (err) this.refusedBy ??= err.message;
    const inSync = err ? 0 : Number(count);
    if (inSync >= this.replicas) return true;
    this.degrade(inSync);
    return false;
  }

  /** Runs WAIT on the connection the writes went through. */
  async wait(): Promise<boolean> {
    const reply: Reply = await this.redis.wait(this.replicas, this.waitMs).then((n) => [null, n] as Reply, (err: Error) => [err, 0] as Reply);
    return this.confirmed(reply);
  }

  /** While degraded: are the replicas back? (Briefly: the connection also carries heartbeats.) */
  async probe(): Promise<void> {
    if (!this.degraded) return;
    const count = await this.redis.wait(this.replicas, 100).catch(() => 0);
    if (count < this.replicas) return;
    this.degraded = false;
    this.onDegraded(false, count);
  }

  private degrade(inSync: number): void {
    if (this.degraded) return;
    this.degraded = true;
    this.onDegraded(true, inSync);
  }
}
