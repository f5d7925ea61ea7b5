/**
 * What the broker's bridges (`src/bridge`) tell the rest of the process about themselves,
 * declared in the core so that the admin adapter can show it without importing them.
 */

/** Where a bridge stands. */
export type BridgeState =
  /** Not started, or stopped (shutdown). */
  | 'stopped'
  /** Another node of the cluster runs it. */
  | 'standby'
  /** Dialling, or waiting for the CONNACK. */
  | 'connecting'
  | 'connected'
  /** Waiting to try again (`restart_timeout`). */
  | 'waiting'
  /** A lazy bridge with too little queued to start, or one that gave up (`start_type once`). */
  | 'idle';

/** One bridge's state and counters, read when asked (admin API, `/metrics`). */
export interface BridgeStatus {
  name: string;
  state: BridgeState;
  /** The remote URL connected to, or last tried. */
  address: string | undefined;
  remoteClientId: string;
  localClientId: string;
  /** Epoch ms of the last state change. */
  since: number;
  /** Messages waiting for the remote (QoS 1/2, in the local session's queue) and sent but not acknowledged. */
  queued: number;
  inflight: number;
  messagesSent: number;
  messagesReceived: number;
  /** Refused by the remote, or too large to send. */
  messagesDropped: number;
  connects: number;
  connectFailures: number;
  /** Why the last attempt failed or the last connection ended. */
  lastError: string | undefined;
}
