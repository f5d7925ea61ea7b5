/// <reference lib="dom" />
/**
 * Runs a task now and then every `intervalMs` after it finishes (never two at
 * once, so a slow broker is not flooded), until stopped.
 */
export class Poller {
  private timer: number | undefined;
  private running = false;

  constructor(private readonly task: () => Promise<void>, private readonly intervalMs: number) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  stop(): void {
    this.running = false;
    window.clearTimeout(this.timer);
  }

  /** Runs the task now (e.g. after an action) and keeps the schedule. */
  async now(): Promise<void> {
    window.clearTimeout(this.timer);
    await this.run();
  }

  private async run(): Promise<void> {
    try {
      await this.task();
    } catch {
      // The task shows its own errors; polling goes on.
    }
    if (this.running) {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => void this.run(), this.intervalMs);
    }
  }
}
