import { globalOptions, listenerOptions, type ListenerConfig, type MidgeConfig } from '../config/index.js';

/** A listener's identity across reloads: what it speaks and where. Any other setting may change. */
export function listenerKey(l: ListenerConfig): string {
  return `${l.protocol} ${l.address ?? '*'} ${l.port}`;
}

/** A listener that stays but whose settings changed, with the names of those settings. */
export interface ChangedListener {
  before: ListenerConfig;
  after: ListenerConfig;
  settings: string[];
}

/** What a new configuration changes, split into what a reload applies and what waits for a restart. */
export interface ConfigChanges {
  /** MQTT and WebSocket listeners to open, close or reopen. */
  added: ListenerConfig[];
  removed: ListenerConfig[];
  changed: ChangedListener[];
  /** `trace_clients`, when it changed: applied at once. */
  traceClients: string[] | undefined;
  /** Options (and MQTT-SN or admin listeners) whose change needs a restart, named as in the file. */
  restartNeeded: string[];
}

/** Listeners a reload opens and closes itself; the MQTT-SN gateway and the admin listener wait for a restart. */
const RELOADABLE_PROTOCOLS: ReadonlySet<string> = new Set(['mqtt', 'websockets']);

/** Options whose change shows in each listener's own settings, so reopening the listeners applies it. */
const LISTENER_DEFAULT_OPTIONS: ReadonlySet<string> = new Set(['allow_anonymous', 'password_file', 'acl_file', 'per_listener_settings', 'max_connections']);

/** Options applied by a reload without a restart. */
const APPLIED_OPTIONS: ReadonlySet<string> = new Set(['listeners', 'trace_clients']);

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

function changedSettings(before: ListenerConfig, after: ListenerConfig, perListener: boolean): string[] {
  const a = listenerOptions(before, perListener);
  const b = listenerOptions(after, perListener);
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const changed = names.filter((name) => differs(a[name], b[name]));
  // Security set globally (per_listener_settings false) is not among the listener's own options.
  if (changed.length === 0 && differs(before.security, after.security)) changed.push('security settings');
  return changed;
}

function describe(l: ListenerConfig): string {
  return `listener ${l.port}${l.address ? ` ${l.address}` : ''} (protocol ${l.protocol})`;
}

function globalChanges(before: MidgeConfig, after: MidgeConfig): string[] {
  const a = globalOptions(before);
  const b = globalOptions(after);
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const changed = names.filter((name) => !APPLIED_OPTIONS.has(name) && !LISTENER_DEFAULT_OPTIONS.has(name) && differs(a[name], b[name]));
  // Secrets are redacted in the option view: compare them as they are.
  if (before.auth.adminToken !== after.auth.adminToken && !changed.includes('admin_token')) changed.push('admin_token');
  if (before.cluster?.redisUrl !== after.cluster?.redisUrl && !changed.includes('cluster_redis_url')) changed.push('cluster_redis_url');
  // Bridges (connection blocks) start with the broker; remote_password is redacted in the view.
  if (differs(before.bridges, after.bridges) && !changed.includes('bridges')) changed.push('bridges');
  const sn = after.listeners.some((l) => l.protocol === 'mqttsn');
  for (const name of LISTENER_DEFAULT_OPTIONS) {
    if (sn && name !== 'max_connections' && differs(a[name], b[name])) changed.push(`${name} (for the MQTT-SN gateway)`);
  }
  return changed;
}

/**
 * Compares the running configuration with a reloaded one. MQTT and WebSocket listeners
 * are matched by protocol, address and port: new ones are opened, missing ones closed,
 * and those whose settings changed (certificate paths, security, limits) reopened.
 * Everything else that changed is named for a restart, except `trace_clients`.
 */
export function configChanges(before: MidgeConfig, after: MidgeConfig): ConfigChanges {
  const perListener = after.auth.perListenerSettings;
  const old = new Map(before.listeners.map((l) => [listenerKey(l), l]));
  const next = new Map(after.listeners.map((l) => [listenerKey(l), l]));
  const changes: ConfigChanges = { added: [], removed: [], changed: [], traceClients: undefined, restartNeeded: [] };
  for (const [key, l] of next) {
    const previous = old.get(key);
    const reloadable = RELOADABLE_PROTOCOLS.has(l.protocol);
    if (!previous) {
      if (reloadable) changes.added.push(l);
      else changes.restartNeeded.push(`new ${describe(l)}`);
      continue;
    }
    const settings = changedSettings(previous, l, perListener);
    if (settings.length === 0) continue;
    if (reloadable) changes.changed.push({ before: previous, after: l, settings });
    else changes.restartNeeded.push(`${settings.join(', ')} of ${describe(l)}`);
  }
  for (const [key, l] of old) {
    if (next.has(key)) continue;
    if (RELOADABLE_PROTOCOLS.has(l.protocol)) changes.removed.push(l);
    else changes.restartNeeded.push(`removed ${describe(l)}`);
  }
  if (differs(before.operations.traceClients, after.operations.traceClients)) changes.traceClients = after.operations.traceClients;
  changes.restartNeeded.push(...globalChanges(before, after));
  return changes;
}
