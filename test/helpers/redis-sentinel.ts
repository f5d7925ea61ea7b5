import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from './redis.js';

/** A primary, a replica and three sentinels on loopback, as a test started them. */
export interface SentinelGroup {
  /** The name the sentinels monitor the primary under. */
  name: string;
  /** `redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/NAME` */
  url: string;
  primary: RedisServer;
  replica: RedisServer;
  sentinels: RedisServer[];
  /** The port the sentinels name as the primary's now. */
  primaryPort(): Promise<number>;
  /** Waits until the replica is in sync with the primary and every sentinel knows the other two. */
  settled(timeoutMs?: number): Promise<void>;
  /** Stops every process and removes their directories. */
  remove(): Promise<void>;
}

/**
 * Starts the group with fast failure detection (down after 1 s) so that a test's
 * failover takes seconds. A restarted old primary is made a replica of the new
 * one by the sentinels.
 */
export async function startSentinelGroup(name = 'midge'): Promise<SentinelGroup> {
  // A replica (the old primary coming back included) syncs at once, not after Redis's default 5 s wait for others.
  const sync = ['--repl-diskless-sync-delay', '0'];
  const primary = await startRedis({ args: sync });
  const replica = await startRedis({ args: [...sync, '--replicaof', '127.0.0.1', String(primary.port)] });
  const config = [
    `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
    `sentinel down-after-milliseconds ${name} 1000`,
    `sentinel failover-timeout ${name} 4000`,
    `sentinel parallel-syncs ${name} 1`,
    '',
  ].join('\n');
  const sentinels = await Promise.all([0, 1, 2].map(() => startRedis({ sentinelConfig: config })));
  const ask = async <T>(port: number, args: string[]): Promise<T> => {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    try {
      await client.connect();
      return await client.call('SENTINEL', ...args) as T;
    } finally {
      client.disconnect();
    }
  };
  const group: SentinelGroup = {
    name,
    url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${name}`,
    primary,
    replica,
    sentinels,
    async primaryPort() {
      const [, port] = await ask<[string, string]>(sentinels[0]!.port, ['get-master-addr-by-name', name]);
      return Number(port);
    },
    async settled(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let why = '';
      while ((why = await state().catch((err: unknown) => String(err))) !== 'ok') {
        if (Date.now() > deadline) throw new Error(`the sentinel group did not settle: ${why}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async remove() {
      await Promise.all([...sentinels, replica, primary].map((s) => s.remove()));
    },
  };
  /** 'ok', or what is not settled yet. */
  async function state(): Promise<string> {
    const primaryPort = await group.primaryPort();
    const onReplica = [primary, replica].find((r) => r.port !== primaryPort)!;
    const info = await infoReplication(onReplica.port);
    if (!info.includes('master_link_status:up')) return `the replica on ${onReplica.port} is not in sync`;
    for (const s of sentinels) {
      const others = await ask<unknown[]>(s.port, ['sentinels', name]);
      if (others.length < 2) return `a sentinel knows ${others.length} others`;
      const replicas = await ask<string[][]>(s.port, ['replicas', name]);
      const flags = replicas.map((r) => r[r.indexOf('flags') + 1]);
      if (!flags.includes('slave')) return `a sentinel sees replicas ${flags.join(',') || 'none'}`;
    }
    return 'ok';
  }
  return group;
}

async function infoReplication(port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.info('replication');
  } finally {
    client.disconnect();
  }
}
