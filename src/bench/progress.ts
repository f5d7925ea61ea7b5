import { nowNs } from './clock.js';
import { roleCounts, type BenchOptions } from './options.js';
import { WorkerField, type SharedState } from './shared.js';

/** How progress is drawn: one line redrawn in place, a line per second, or nothing. */
export type ProgressMode = 'tty' | 'lines' | 'none';

const number = new Intl.NumberFormat('en-US');
const fmt = (n: number): string => number.format(Math.round(n));

interface Totals {
  sent: number;
  acked: number;
  received: number;
  connected: number;
}

/**
 * Live progress, once a second, from the shared counters (no message to the
 * workers). On a terminal it redraws one line; otherwise it prints plain lines,
 * so that logs stay readable. It writes to stderr: stdout is for the summary.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private shared: SharedState | undefined;
  private expected = 0;
  private mode: BenchOptions['mode'] = 'pub';
  private current = 'starting';
  private startNs = 0;
  private last: Totals & { atNs: number } = { sent: 0, acked: 0, received: 0, connected: 0, atNs: 0 };
  private drawn = false;

  constructor(private readonly style: ProgressMode, private readonly out: NodeJS.WritableStream = process.stderr) {}

  /** Starts the once-a-second display. */
  start(shared: SharedState, o: BenchOptions): void {
    const c = roleCounts(o);
    this.shared = shared;
    this.mode = o.mode;
    this.expected = c.publishers + c.subscribers + c.idle;
    this.startNs = nowNs();
    this.last.atNs = this.startNs;
    if (this.style !== 'none') this.timer = setInterval(() => this.tick(), 1000);
  }

  /**
   * Names the phase the run is in: shown on the next tick, and at once as a line
   * of its own when not on a terminal (scripts wait for "measuring").
   */
  phase(name: string): void {
    this.current = name;
    if (this.style === 'lines' && this.shared) this.tick();
  }

  /** A one-off remark, on its own line. */
  note(message: string): void {
    if (this.style === 'none') return;
    this.clearLine();
    this.out.write(`note: ${message}\n`);
  }

  /** Stops the display and leaves the cursor on a fresh line. */
  stop(): void {
    clearInterval(this.timer);
    this.clearLine();
  }

  private totals(): Totals {
    const s = this.shared!;
    let sent = 0;
    let acked = 0;
    for (let i = 0; i < s.sent.length; i++) {
      sent += s.sent[i]!;
      acked += s.acked[i]!;
    }
    return { sent, acked, received: s.total(WorkerField.RECEIVED), connected: s.total(WorkerField.CONNECTED) };
  }

  private tick(): void {
    const now = nowNs();
    const t = this.totals();
    const seconds = Math.max(1e-3, (now - this.last.atNs) / 1e9);
    const rate = (key: keyof Totals): string => fmt((t[key] - this.last[key]) / seconds);
    const s = this.shared!;
    const parts = [`[${Math.round((now - this.startNs) / 1e9).toString().padStart(4)}s] ${this.current}`];
    parts.push(`connected ${fmt(t.connected)}/${fmt(this.expected)}`);
    if (this.mode === 'conn') parts.push(`(${rate('connected')}/s)`);
    if (this.mode === 'pub' || this.mode === 'pubsub') parts.push(`sent ${fmt(t.sent)} (${rate('sent')}/s)`);
    if (t.acked > 0) parts.push(`acked ${fmt(t.acked)} (${rate('acked')}/s)`);
    if (this.mode === 'sub' || this.mode === 'pubsub') parts.push(`received ${fmt(t.received)} (${rate('received')}/s)`);
    const errors = s.total(WorkerField.ERRORS);
    if (errors > 0) parts.push(`errors ${fmt(errors)}`);
    this.last = { ...t, atNs: now };
    const line = parts.join('  ');
    if (this.style === 'tty') {
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  private clearLine(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
