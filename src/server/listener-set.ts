import type { Logger } from '../broker/index.js';
import type { ListenerConfig, MidgeConfig } from '../config/index.js';
import { readTlsContext } from '../transport/index.js';
import { configChanges, listenerKey } from './config-changes.js';
import { isServedListener, listenerSpec } from './listener-spec.js';
import type { SecurityRegistry } from './security.js';
import type { MidgeServer, ServerListener } from './server.js';

/** What a reload did. */
export interface ReloadReport {
  /** Changes applied, in words (`opened listener mqtt:1884`, `trace_clients`). */
  applied: string[];
  /** Parts that could not be reloaded and keep their previous state. */
  failed: string[];
  /** Settings that changed in the file but take effect only after a restart. */
  restartNeeded: string[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The MQTT and WebSocket listeners of a configured server, by identity (protocol,
 * address, port), so that a reload can open the new ones, close the removed ones and
 * reopen the changed ones while every other socket stays as it is.
 */
export class ListenerSet {
  private readonly running = new Map<string, { config: ListenerConfig; listener: ServerListener }>();

  constructor(
    private readonly server: MidgeServer, private readonly security: SecurityRegistry, private readonly logger: Logger,
    entries: ReadonlyArray<readonly [ListenerConfig, ServerListener]>,
  ) {
    for (const [config, listener] of entries) this.running.set(listenerKey(config), { config, listener });
  }

  /** Applies what changed between the running configuration and `next`, adding to `report`. */
  async apply(current: MidgeConfig, next: MidgeConfig, report: ReloadReport): Promise<void> {
    // Compared with what runs, not with the last file: a listener that failed to open is still new.
    const runningConfigs = [...this.running.values()].map((r) => r.config);
    const before: MidgeConfig = { ...current, listeners: [...runningConfigs, ...current.listeners.filter((l) => !isServedListener(l))] };
    const changes = configChanges(before, next);
    for (const l of changes.removed) await this.close(l, 'removed from the configuration', report);
    for (const { before: old, after, settings } of changes.changed) await this.reopen(old, after, settings, report);
    for (const l of changes.added) await this.open(l, report, 'opened');
    if (changes.traceClients) {
      this.server.broker.setTraceClients(changes.traceClients);
      report.applied.push('trace_clients');
    }
    report.restartNeeded.push(...changes.restartNeeded);
  }

  /** The listeners that run, with the configuration each was opened with. */
  entries(): Array<readonly [ListenerConfig, ServerListener]> {
    return [...this.running.values()].map((r) => [r.config, r.listener] as const);
  }

  /** Re-reads the certificate files of every TLS listener; one that fails keeps its old ones. */
  reloadCertificates(report: ReloadReport): void {
    for (const l of this.server.listeners) {
      try {
        l.reloadTls();
      } catch (err) {
        report.failed.push(`certificates of ${l.name}`);
        this.logger.error({ listener: l.name, err: message(err) }, 'certificate reload failed; keeping the previous ones');
      }
    }
  }

  private async open(l: ListenerConfig, report: ReloadReport, verb: string, why = ''): Promise<boolean> {
    try {
      const listener = await this.server.addListener(await this.prepare(l));
      this.running.set(listenerKey(l), { config: l, listener });
      report.applied.push(`${verb} listener ${listener.name}${why}`);
      return true;
    } catch (err) {
      report.failed.push(`listener ${l.port} (${l.protocol})`);
      this.logger.error({ port: l.port, address: l.address, protocol: l.protocol, err: message(err) }, 'listener not opened');
      return false;
    }
  }

  private async close(l: ListenerConfig, reason: string, report: ReloadReport): Promise<void> {
    const entry = this.running.get(listenerKey(l));
    if (!entry) return;
    this.running.delete(listenerKey(l));
    await this.server.removeListener(entry.listener, reason);
    report.applied.push(`closed listener ${entry.listener.name}`);
  }

  /**
   * A listener whose settings changed is closed and opened again (its clients reconnect).
   * Its new files are checked first: if they do not load, the old listener keeps running.
   */
  private async reopen(before: ListenerConfig, after: ListenerConfig, settings: string[], report: ReloadReport): Promise<void> {
    try {
      await this.prepare(after);
    } catch (err) {
      report.failed.push(`listener ${after.port} (${after.protocol})`);
      this.logger.error({ port: after.port, protocol: after.protocol, changed: settings, err: message(err) },
        'listener settings not applied; it keeps running with the previous ones');
      return;
    }
    await this.close(before, `reopening: ${settings.join(', ')} changed`, report);
    report.applied.pop();
    await this.open(after, report, 'reopened', ` (${settings.join(', ')} changed)`);
  }

  /** Loads what the listener needs (password and ACL files, certificates), so a bad file fails here. */
  private async prepare(l: ListenerConfig) {
    const spec = await listenerSpec(l, this.security);
    if (spec.tls) readTlsContext(spec.tls);
    return spec;
  }
}
