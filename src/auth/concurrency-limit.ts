/**
 * Runs at most `limit` async jobs at a time; the rest wait in arrival order.
 *
 * Password hashing runs on libuv's thread pool (4 threads by default), which file system
 * and DNS work share. A burst of CONNECTs with wrong passwords must not occupy every thread,
 * so PBKDF2 jobs go through one of these.
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  /** @param limit - jobs allowed to run at once (at least 1) */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  /** Jobs waiting for a free slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Runs the job when a slot is free and resolves with its result. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next job, so #running stays the same.
      if (next) next();
      else this.#running--;
    }
  }
}
