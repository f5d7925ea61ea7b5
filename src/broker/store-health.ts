import type { Disposer } from './hooks.js';
import type { Logger } from './ports/logger.js';
import type { Store, StoreHealth } from './ports/store.js';
import type { Readiness } from './readiness.js';

/** How often a failing store is logged again while it stays failing. */
export const STORE_REMINDER_MS = 60_000;

/**
 * Turns a store's health into what an operator and a load balancer see: while its
 * writes fail the broker is held unready (`/readyz`), the failure is logged once
 * with the file and the cause, then reminded at most every `reminderMs`, and the
 * recovery is logged when a retry succeeds. Nothing here decides what is
 * acknowledged: commits stay pending meanwhile (see {@link Store.commit}).
 */
export function watchStoreHealth(store: Store, readiness: Readiness, logger: Logger, reminderMs = STORE_REMINDER_MS): Disposer {
  if (!store.onHealthChange) return () => {};
  let release: Disposer | undefined;
  let reminder: NodeJS.Timeout | undefined;
  const stopReminding = () => {
    clearInterval(reminder);
    reminder = undefined;
  };
  const stopWatching = store.onHealthChange((health) => {
    if (!health.writable && !release) {
      release = readiness.hold(`store not writable: ${health.problem ?? 'write failed'}`);
      logger.error(fields(store, health), `store writes failing: ${health.problem ?? 'write failed'}. `
        + 'Acknowledgements that need the store are held and the write is retried until it succeeds; free space or fix the disk');
      reminder = setInterval(() => {
        logger.error(fields(store, health), `store writes still failing after ${seconds(health)} s `
          + `(${health.failedWrites} failed attempts): ${health.problem ?? 'write failed'}`);
      }, reminderMs);
      reminder.unref();
    } else if (health.writable && release) {
      release();
      release = undefined;
      stopReminding();
      logger.warn(fields(store, health), `store writable again; held acknowledgements are being sent (${health.failedWrites} failed attempts so far)`);
    }
  });
  return () => {
    stopWatching();
    stopReminding();
    release?.();
    release = undefined;
  };
}

function fields(store: Store, health: StoreHealth): object {
  return { store: store.name, failedWrites: health.failedWrites, failingSince: health.failingSince };
}

function seconds(health: StoreHealth): number {
  return health.failingSince === undefined ? 0 : Math.round((Date.now() - health.failingSince) / 1000);
}

/**
 * Waits for what is staged to be committed, unless the store's writes are failing
 * (or start to while waiting): then it resolves at once, since the wait would last
 * until the disk is fixed. For shutdown; the store's close() makes the last attempt.
 */
export function commitUnlessFailing(store: Store): Promise<void> {
  if (store.health?.writable === false) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = store.onHealthChange?.((health) => {
      if (health.writable) return;
      stop?.();
      resolve();
    });
    store.commit().then(resolve, reject).finally(() => stop?.());
  });
}
