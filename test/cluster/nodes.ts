import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';

/**
 * `midge broker --cluster redis://... --cluster-node-id NAME` as a separate process
 * (built CLI; run `npx tsc -p tsconfig.build.json` first), on a random port or the
 * given one (a node restarted on its old port), with room to queue every message
 * of a test.
 */
export function spawnNode(redisUrl: string, name: string, port?: number): Promise<SpawnedMidge> {
  return spawnMidge({
    port,
    args: ['--cluster', redisUrl, '--cluster-node-id', name, '--max-queued-messages', '100000'],
  });
}

/** Stops every node still running (SIGTERM), in parallel. */
export async function stopAll(nodes: Iterable<SpawnedMidge | undefined>): Promise<void> {
  await Promise.all([...nodes].map((n) => n?.stop()));
}
