/** Store backends: the broker core's {@link Store} port, kept in memory, in SQLite or in Redis. */
import type { Store } from '../broker/index.js';
import { SqliteStore, type SyncMode } from './sqlite-store.js';

export { BufferedStore, type CommitMetrics } from './buffered-store.js';
export { MemoryStore } from './memory-store.js';
export { SqliteStore, storeFile, DEFAULT_FILE_NAME, type SqliteStoreOptions, type SyncMode } from './sqlite-store.js';
export { RedisStore, type RedisStoreOptions, type StoreFence, type NumberedRetained } from './redis-store.js';
export type { Batch, ClientDelta } from './batch.js';
export { checkStore, describeReport, isHealthy, StoreToolError, type StoreReport } from './store-tool.js';
export { repairStore, type RepairResult } from './store-repair.js';
export { exportStore } from './store-export.js';
export { StoreRefusedError, type StoreProblem } from './store-problems.js';

/**
 * Persistence settings as operators give them: the same three keys in
 * mosquitto.conf/YAML (`persistence`, `persistence_location`, `persistence_sync`)
 * and on the command line (`--no-persistence`, `--persistence-location`,
 * `--persistence-sync`).
 */
export interface PersistenceOptions {
  /** Default true: sessions, queues, inflight state, retained messages and wills go to disk. */
  persistence?: boolean;
  /** Directory of the store; default `./data`. */
  location?: string;
  /** Default `normal` (survives a process crash); `full` also survives power loss. */
  sync?: SyncMode;
}

/** Default store directory, relative to the working directory. */
export const DEFAULT_LOCATION = './data';

/**
 * The one place that maps persistence settings to a store. `persistence false`
 * gives no store at all: the broker keeps sessions in its own memory and never
 * waits for a commit.
 */
export function createStore(options: PersistenceOptions = {}): Store | undefined {
  if (options.persistence === false) return undefined;
  const sync = options.sync ?? 'normal';
  if (sync !== 'normal' && sync !== 'full') throw new Error(`persistence_sync must be normal or full, not '${String(sync)}'`);
  return new SqliteStore({ location: options.location ?? DEFAULT_LOCATION, sync });
}
