import type { ClusterLease, ClusterLeases, Logger } from '../broker/index.js';
import type { Bridge } from './bridge.js';

/** How long a node holds a bridge without renewing: a dead node's bridge moves after at most this. */
export const LEASE_TTL_MS = 5000;
/** How often the holder renews, and the others try to take it. */
const LEASE_CHECK_MS = 1000;

/**
 * In a cluster, runs a bridge on exactly one node: the one holding its lease. The holder
 * renews it every second; when it cannot (Redis out of reach, or this node was declared
 * dead) it stops the bridge at once, before the lease can expire and another node take it.
 * The others try to take the lease every second and start the bridge when they get it:
 * its local session, queue included, comes over from wherever it was (the cluster's claim
 * of the session is the fence for the data).
 */
export class LeaseKeeper {
  private lease: ClusterLease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;

  constructor(private readonly bridge: Bridge, private readonly leases: ClusterLeases, private readonly logger: Logger,
    private readonly start: (bridge: Bridge) => Promise<boolean>) {}

  /** The fencing token of the lease this node holds, if it holds it. */
  get token(): number | undefined {
    return this.lease?.token;
  }

  run(): void {
    this.bridge.stats.setState('standby');
    void this.tick();
    this.timer = setInterval(() => void this.tick(), LEASE_CHECK_MS);
    this.timer.unref();
  }

  /** Stops the bridge (if it runs here) and gives the lease up, so another node takes it now. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    const lease = this.lease;
    this.lease = undefined;
    await this.bridge.stop();
    await lease?.release().catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (this.lease) await this.renew(this.lease);
      else await this.take();
    } finally {
      this.busy = false;
    }
  }

  private async renew(lease: ClusterLease): Promise<void> {
    const held = await lease.renew().catch(() => false);
    if (held) return;
    this.lease = undefined;
    this.logger.warn({ bridge: this.bridge.name, token: lease.token }, 'bridge lease lost: stopping the bridge here');
    await this.bridge.stop();
    this.bridge.stats.setState('standby');
  }

  private async take(): Promise<void> {
    const lease = await this.leases.acquire(`bridge:${this.bridge.name}`, LEASE_TTL_MS).catch(() => undefined);
    if (!lease || this.stopped) {
      await lease?.release();
      return;
    }
    this.lease = lease;
    this.logger.info({ bridge: this.bridge.name, token: lease.token }, 'bridge lease taken: running the bridge on this node');
    if (await this.start(this.bridge)) return;
    // It could not start here (e.g. its session could not be claimed): let another node try.
    this.lease = undefined;
    this.bridge.stats.setState('standby');
    await lease.release().catch(() => undefined);
  }
}
