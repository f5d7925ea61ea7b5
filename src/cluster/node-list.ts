import type { ClusterNodeInfo } from '../broker/index.js';
import type { ClusterContext } from './context.js';

/**
 * The incarnations that joined and were not yet reaped, with whether each still
 * says it is alive and how many sessions it owns: one SMEMBERS and one pipeline.
 */
export async function listNodes(ctx: ClusterContext): Promise<ClusterNodeInfo[]> {
  const { redis, keys, me } = ctx;
  const nodes = (await redis.smembers(keys.nodes)).sort();
  const pipeline = redis.pipeline();
  for (const node of nodes) pipeline.exists(keys.alive(node)).scard(keys.owned(node));
  const replies = (await pipeline.exec()) ?? [];
  return nodes.map((node, i) => {
    const [aliveErr, alive] = replies[2 * i] ?? [];
    const [ownedErr, owned] = replies[2 * i + 1] ?? [];
    if (aliveErr || ownedErr) throw aliveErr ?? ownedErr;
    return { node, self: node === me, alive: alive === 1, sessions: Number(owned ?? 0) };
  });
}
