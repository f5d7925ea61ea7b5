/** setTimeout's limit: longer delays fire at once with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A cancellable timer for any delay, chaining shorter timers past setTimeout's limit. */
export class LongTimer {
  private handle: NodeJS.Timeout | undefined;

  constructor(delayMs: number, private readonly fire: () => void) {
    this.arm(Date.now() + delayMs);
  }

  private arm(at: number): void {
    const wait = Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS);
    this.handle = setTimeout(() => (Date.now() >= at ? this.fire() : this.arm(at)), wait);
    this.handle.unref();
  }

  cancel(): void {
    clearTimeout(this.handle);
    this.handle = undefined;
  }
}
