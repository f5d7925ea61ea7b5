import type { BridgeState } from '../broker/index.js';

/**
 * One bridge's counters: plain numbers the bridge bumps, read by `/metrics` and
 * the admin API when asked.
 */
export class BridgeStats {
  state: BridgeState = 'stopped';
  /** The remote URL connected to or last tried. */
  address: string | undefined;
  /** Epoch ms of the last state change. */
  since = Date.now();
  /** Epoch ms of the last message either way (a lazy bridge stops after `idle_timeout` without). */
  lastTrafficAt = Date.now();
  /** PUBLISH packets sent to the remote. */
  messagesSent = 0;
  /** Messages received from the remote and published locally. */
  messagesReceived = 0;
  /** Messages the remote refused (v5 reason code) or that were too large to send. */
  messagesDropped = 0;
  /** Connections accepted by the remote. */
  connects = 0;
  /** Attempts that failed: refused by the remote, or the network. */
  connectFailures = 0;
  /** The last failure, for the admin API: `0x86 Bad User Name or Password`, `ECONNREFUSED`, ... */
  lastError: string | undefined;

  setState(state: BridgeState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = Date.now();
  }
}
