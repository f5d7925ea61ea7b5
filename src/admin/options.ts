import type { BridgeStatus } from '../broker/index.js';
import type { HistoryOptions } from './history.js';

/** A listener as the admin API reports it. */
export interface ListenerInfo {
  name: string;
  /** `mqtt`, `websockets`, `mqttsn`, `http`, ... */
  protocol: string;
  host: string;
  port: number;
}

/** Commit figures of a store that measures them (e.g. the SQLite store), for `/metrics`. */
export interface StoreCommitFigures {
  commits: number;
  /** Wall time spent in commits, ms. */
  totalMs: number;
  /** Longest commit, ms. */
  maxMs: number;
}

/**
 * Checks an admin user's password. Injected by the composition (which builds it
 * from the password file), so that admin/ never imports auth/.
 */
export type VerifyAdmin = (user: string, password: string) => Promise<boolean>;

/** The admin HTTP listener: metrics, health, the REST API and the dashboard. */
export interface AdminOptions {
  /** Default 18083 (0: any free port). */
  port?: number;
  /** Default 127.0.0.1: the admin API is local unless asked otherwise; `*` binds every interface. */
  host?: string;
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  tls?: { cert: Buffer; key: Buffer };
  /** Users of the password file who may use the admin API (HTTP Basic). */
  adminUsers?: string[];
  /** A token accepted as `Authorization: Bearer <token>`. */
  adminToken?: string;
  /** Verifies the password of one of {@link adminUsers}. */
  verifyAdmin?: VerifyAdmin;
  /** The text of `version` in the API (the package version). */
  version?: string;
  /** Topics the dashboard's topic tree keeps (least recently updated go first). Default 10,000; 0: no tree (nothing done per message). */
  topicTreeSize?: number;
  /** Directory of the dashboard's compiled scripts; default: found beside this module or in dist/. */
  uiDir?: string;
  /** The broker's other listeners, for `GET /api/v1/listeners`. */
  listeners?: () => readonly ListenerInfo[];
  /** Commit figures of the store, when it measures them (the hook for store latency metrics). */
  storeMetrics?: () => StoreCommitFigures | undefined;
  /** The dashboard's history of figures; default 6 hours at 10 s. */
  history?: HistoryOptions;
  /** The bridges' state and counters, for `GET /api/v1/bridges` and `/metrics`. */
  bridges?: () => readonly BridgeStatus[];
}

/** {@link AdminOptions} with defaults filled in. */
export interface ResolvedAdminOptions extends AdminOptions {
  port: number;
  host: string;
  adminUsers: string[];
  version: string;
  topicTreeSize: number;
}

/** The default port, as EMQX's dashboard uses. */
export const DEFAULT_ADMIN_PORT = 18083;

/** Fills in the defaults. */
export function resolveAdminOptions(options: AdminOptions): ResolvedAdminOptions {
  return {
    ...options,
    port: options.port ?? DEFAULT_ADMIN_PORT,
    host: options.host ?? '127.0.0.1',
    adminUsers: options.adminUsers ?? [],
    version: options.version ?? 'unknown',
    topicTreeSize: options.topicTreeSize ?? 10_000,
  };
}

/**
 * The commit figures of a store that keeps them in a `metrics` property (the
 * buffered stores do), found by shape so that admin/ never imports persistence/.
 */
export function commitFiguresOf(store: object | undefined): StoreCommitFigures | undefined {
  if (!store || !('metrics' in store)) return undefined;
  const m = store.metrics;
  if (typeof m !== 'object' || m === null) return undefined;
  const { commits, totalMs, maxMs } = m as Record<string, unknown>;
  if (typeof commits !== 'number' || typeof totalMs !== 'number' || typeof maxMs !== 'number') return undefined;
  return { commits, totalMs, maxMs };
}
