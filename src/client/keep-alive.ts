/** What the keep-alive timer asks for at a given moment. */
export type KeepAliveAction = 'none' | 'ping' | 'timeout';

/**
 * The client's side of Keep Alive (MQTT 3.1.1 section 3.1.2.10), as pure
 * arithmetic on times the caller passes in. The client must not let more than
 * the keep-alive interval pass without sending a packet, and sends PINGREQ when
 * it has nothing else to say (3.1.1 [MQTT-3.1.2-23], v5 [MQTT-3.1.2-20]); it uses
 * the server's Server Keep Alive when CONNACK carries one [MQTT-3.2.2-21]. When no
 * PINGRESP comes back within
 * `pingTimeoutMs` it closes the connection (section 3.1.2.10: "within a
 * reasonable amount of time").
 */
export class KeepAlive {
  private intervalMs = 0;
  private lastSentAt = 0;
  private pingSentAt: number | undefined;

  /** @param pingTimeoutMs how long to wait for PINGRESP; undefined: the interval itself */
  constructor(private readonly pingTimeoutMs?: number) {}

  /** Starts timing a connection with the given interval in seconds (0: off). */
  start(seconds: number, now: number): void {
    this.intervalMs = seconds * 1000;
    this.lastSentAt = now;
    this.pingSentAt = undefined;
  }

  /** Stops timing (the connection is gone). */
  stop(): void {
    this.intervalMs = 0;
    this.pingSentAt = undefined;
  }

  /** Records that a packet went out: the interval starts again. */
  sent(now: number): void {
    this.lastSentAt = now;
  }

  /** Records that PINGRESP arrived. */
  pong(): void {
    this.pingSentAt = undefined;
  }

  /** The effective interval in seconds (0 when off). */
  get seconds(): number {
    return this.intervalMs / 1000;
  }

  /** What to do now. A `ping` is recorded as sent by this call. */
  check(now: number): KeepAliveAction {
    if (this.intervalMs === 0) return 'none';
    if (this.pingSentAt !== undefined) {
      return now - this.pingSentAt >= this.timeoutMs ? 'timeout' : 'none';
    }
    if (now - this.lastSentAt >= this.intervalMs) {
      this.pingSentAt = now;
      return 'ping';
    }
    return 'none';
  }

  /** When {@link check} next has something to do; undefined when off. */
  nextCheckAt(): number | undefined {
    if (this.intervalMs === 0) return undefined;
    if (this.pingSentAt !== undefined) return this.pingSentAt + this.timeoutMs;
    return this.lastSentAt + this.intervalMs;
  }

  private get timeoutMs(): number {
    return this.pingTimeoutMs ?? this.intervalMs;
  }
}
