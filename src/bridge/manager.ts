import type { BridgeStatus, Broker, Logger } from '../broker/index.js';
import { Bridge } from './bridge.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { BridgeConfig } from './options.js';

/**
 * The bridges of one broker: each one's local client id is reserved from the moment the
 * manager exists (no client can take a bridge's session, on any node). Alone, every bridge
 * runs here; in a cluster, each runs on the one node holding its lease (see `LeaseKeeper`).
 */
export class BridgeManager {
  readonly bridges: readonly Bridge[];
  private readonly releases: Array<() => void>;
  private readonly keepers: LeaseKeeper[] = [];

  constructor(private readonly broker: Broker, configs: readonly BridgeConfig[], private readonly logger: Logger) {
    this.bridges = configs.map((config) => new Bridge(config, { broker, logger }));
    this.releases = configs.map((config) => broker.reserveClientId(config.localClientId, `bridge ${config.name}`));
  }

  /**
   * Starts every bridge, or in a cluster the race for each one's lease; a bridge that cannot
   * open its local session is logged and left stopped.
   */
  async start(): Promise<void> {
    const leases = this.broker.options.cluster?.leases;
    if (!leases) {
      await Promise.all(this.bridges.map((bridge) => this.startOne(bridge)));
      return;
    }
    for (const bridge of this.bridges) {
      const keeper = new LeaseKeeper(bridge, leases, this.logger, (b) => this.startOne(b));
      this.keepers.push(keeper);
      keeper.run();
    }
  }

  /** Starts one bridge; false (logged) when it could not open its local session. */
  private async startOne(bridge: Bridge): Promise<boolean> {
    try {
      await bridge.start();
      return true;
    } catch (err) {
      this.logger.error({ bridge: bridge.name, err: err instanceof Error ? err.message : String(err) }, 'bridge could not start');
      await bridge.stop();
      return false;
    }
  }

  /** Stops every bridge (their queues stay in their sessions), gives up their leases and frees their client ids. */
  async stop(): Promise<void> {
    await Promise.all(this.keepers.map((keeper) => keeper.stop()));
    await Promise.all(this.bridges.map((bridge) => bridge.stop()));
    for (const release of this.releases) release();
  }

  /** Every bridge's state and counters, read now. */
  status(): BridgeStatus[] {
    return this.bridges.map((bridge) => {
      const { stats, config } = bridge;
      const session = bridge.localSession ?? this.broker.sessions.get(config.localClientId);
      return {
        name: config.name, state: stats.state, address: stats.address, remoteClientId: config.remoteClientId,
        localClientId: config.localClientId, since: stats.since, queued: session?.queuedCount ?? 0,
        inflight: session?.inflight.size ?? 0, messagesSent: stats.messagesSent, messagesReceived: stats.messagesReceived,
        messagesDropped: stats.messagesDropped, connects: stats.connects, connectFailures: stats.connectFailures, lastError: stats.lastError,
      };
    });
  }
}
