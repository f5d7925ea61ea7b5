import type { Disposer } from './hooks.js';

/**
 * Whether the broker should be sent traffic (the admin listener's `/readyz`).
 *
 * Any part of the composition can hold the broker unready for a reason of its own
 * (listeners not bound yet, a cluster link down, shutting down) with
 * {@link Readiness.hold}; the broker is ready when nobody holds it. Holds are
 * disposers rather than a shared boolean so that two parts cannot clear each
 * other's reasons.
 */
export class Readiness {
  private readonly holds = new Map<symbol, string>();

  /** True when nothing holds the broker unready. */
  get ready(): boolean {
    return this.holds.size === 0;
  }

  /** Why the broker is not ready, one entry per hold (empty when ready). */
  get reasons(): string[] {
    return [...this.holds.values()];
  }

  /** Marks the broker unready until the returned disposer is called (calling it twice is harmless). */
  hold(reason: string): Disposer {
    const key = Symbol(reason);
    this.holds.set(key, reason);
    return () => {
      this.holds.delete(key);
    };
  }
}
