import type { MqttConnection } from './mqtt-connection.js';
import { ReasonCode } from '../protocol/index.js';

const SWEEP_INTERVAL_MS = 500;

/**
 * Enforces keep alive and the connect timeout for every connection with one
 * periodic sweep instead of a timer per connection: resetting a timer on every
 * packet would cost more than the check. A connection silent for 1.5 times its
 * keep alive is closed as if the network had failed (3.1.1 [MQTT-3.1.2-24], v5
 * [MQTT-3.1.2-22]); one that sends
 * no CONNECT within the timeout is closed (section 3.1.4: "a reasonable amount of time"),
 * and so is one whose CONNECT is still undecided then (an authenticator that never
 * answers must not hold a socket for ever).
 */
export class KeepAliveSweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly connections: ReadonlySet<MqttConnection>, private readonly connectTimeoutMs: number) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Closes the connections that are overdue at `now`. */
  sweep(now: number): void {
    for (const conn of this.connections) {
      if (conn.state === 'open') {
        if (conn.keepAliveMs > 0 && !conn.inputPaused && now - conn.lastActivity > conn.keepAliveMs * 1.5) {
          conn.close(ReasonCode.KeepAliveTimeout, 'keep alive timeout');
        }
      } else if (conn.state !== 'closed' && now - conn.openedAt > this.connectTimeoutMs) {
        const what = conn.state === 'new' ? 'no CONNECT' : 'CONNECT not decided';
        conn.close(ReasonCode.UnspecifiedError, `${what} within the connect timeout`);
      }
    }
  }
}
