import { nowNs } from './clock.js';
import type { LoadConnection } from './connection.js';
import type { BenchOptions } from './options.js';
import type { ClientRole } from './plan.js';

/** Called when every connection of a role has either become ready or failed. */
export type OpenedCallback = (role: ClientRole, ready: number, failed: number) => void;

/**
 * Opens a worker's connections of one role at the pace the options ask for: at
 * most its share of `maxPendingConnects` handshakes in flight, and, with a
 * connect interval, one connection per interval over the whole run (each worker
 * takes every n-th slot of the schedule).
 */
export class ConnectionOpener {
  private role: ClientRole = 'idle';
  private list: LoadConnection[] = [];
  private next = 0;
  private pending = 0;
  private ready = 0;
  private failed = 0;
  private startNs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxPending: number;
  private readonly intervalNs: number;
  private readonly offsetNs: number;

  constructor(options: BenchOptions, workers: number, worker: number, private readonly done: OpenedCallback) {
    this.maxPending = Math.max(1, Math.ceil(options.maxPendingConnects / workers));
    this.intervalNs = options.connectIntervalMs * 1e6 * workers;
    this.offsetNs = options.connectIntervalMs * 1e6 * worker;
  }

  /** Opens `list`; the callback fires once all of them settled. */
  open(role: ClientRole, list: LoadConnection[]): void {
    this.role = role;
    this.list = list;
    this.next = this.pending = this.ready = this.failed = 0;
    this.startNs = nowNs();
    if (list.length === 0) return this.done(role, 0, 0);
    if (this.intervalNs > 0) this.timer = setInterval(() => this.launch(), Math.max(1, this.intervalNs / 1e6));
    this.launch();
  }

  /** A connection of the current role became ready (true) or failed (false). */
  settled(ok: boolean): void {
    this.pending--;
    if (ok) this.ready++;
    else this.failed++;
    if (this.ready + this.failed === this.list.length) {
      clearInterval(this.timer);
      this.done(this.role, this.ready, this.failed);
    } else {
      this.launch();
    }
  }

  private launch(): void {
    let allowed = this.list.length;
    if (this.intervalNs > 0) {
      const elapsed = nowNs() - this.startNs - this.offsetNs;
      allowed = elapsed < 0 ? 0 : Math.min(allowed, Math.floor(elapsed / this.intervalNs) + 1);
    }
    while (this.next < allowed && this.pending < this.maxPending) {
      this.pending++;
      this.list[this.next++]!.open();
    }
  }
}
