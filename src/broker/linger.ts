/** How long a socket the broker ended may stay open for its peer to read the last bytes and close. */
export const LINGER_MS = 1000;

/** Something that can be ended for good: a connection's stream. */
interface Destroyable {
  destroy(): void;
}

/**
 * Sockets the broker has ended, each destroyed {@link LINGER_MS} later unless closed by then
 * (a peer that never reads must not keep a socket half-open for ever). All have the same
 * delay, so they wait in one first-in-first-out list behind one timer: a disconnect costs
 * two array slots instead of a timer and a closure of its own (issue 19).
 */
class LingerList {
  private streams: Destroyable[] = [];
  private deadlines: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  add(stream: Destroyable, now = Date.now()): void {
    this.streams.push(stream);
    this.deadlines.push(now + LINGER_MS);
    if (!this.timer) this.schedule(LINGER_MS);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => this.expire(), delayMs);
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    const { streams, deadlines } = this;
    while (this.head < streams.length && deadlines[this.head]! <= now) {
      const stream = streams[this.head]!;
      streams[this.head] = undefined as unknown as Destroyable;
      this.head++;
      // Destroying a stream that closed meanwhile does nothing.
      stream.destroy();
    }
    if (this.head === streams.length) {
      this.streams = [];
      this.deadlines = [];
      this.head = 0;
      return;
    }
    if (this.head > 1024 && this.head * 2 > streams.length) {
      this.streams = streams.slice(this.head);
      this.deadlines = deadlines.slice(this.head);
      this.head = 0;
    }
    this.schedule(Math.max(1, this.deadlines[this.head]! - now));
  }
}

const lingering = new LingerList();

/** Destroys `stream` {@link LINGER_MS} from now, if it is still open then. */
export function destroyAfterLinger(stream: Destroyable): void {
  lingering.add(stream);
}
