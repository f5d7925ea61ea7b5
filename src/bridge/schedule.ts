import type { BridgeRestart } from './options.js';

/**
 * How long a bridge waits before it dials again (`restart_timeout`): a constant time, or
 * mosquitto's backoff with "decorrelated jitter" between a base and a cap, each wait a
 * random time from the base to three times the last (at most the cap), back to the base
 * once a connection succeeds.
 */
export class RestartSchedule {
  private last: number;

  constructor(private readonly restart: BridgeRestart, private readonly random: () => number = Math.random) {
    this.last = restart.kind === 'constant' ? restart.seconds : restart.baseSeconds;
  }

  /** Milliseconds to wait before the next attempt. */
  nextDelayMs(): number {
    const r = this.restart;
    if (r.kind === 'constant') return r.seconds * 1000;
    const upper = Math.max(r.baseSeconds, this.last * 3);
    this.last = Math.min(r.capSeconds, r.baseSeconds + this.random() * (upper - r.baseSeconds));
    return Math.round(this.last * 1000);
  }

  /** A connection succeeded: the next wait starts from the base again. */
  reset(): void {
    this.last = this.restart.kind === 'constant' ? this.restart.seconds : this.restart.baseSeconds;
  }
}

/**
 * Which of a bridge's addresses to dial. Without `round_robin` the first is the main one:
 * after a failure the others are tried in turn, and while on another one the bridge keeps
 * checking whether the main one is back. With it, all are equal and the bridge stays on the
 * one that works until it fails.
 */
export class AddressRotation {
  private index = 0;

  constructor(private readonly addresses: readonly string[], private readonly roundRobin: boolean) {}

  get current(): string {
    return this.addresses[this.index]!;
  }

  /** The main address, while connected elsewhere without round_robin: worth checking. */
  get primaryToCheck(): string | undefined {
    return !this.roundRobin && this.index > 0 ? this.addresses[0] : undefined;
  }

  /** The current address failed (refused, unreachable, or the connection dropped). */
  failed(): void {
    this.index = (this.index + 1) % this.addresses.length;
  }

  /** The main address answers again: dial it next. */
  backToPrimary(): void {
    this.index = 0;
  }
}
