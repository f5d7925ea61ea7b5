import type { Packet } from '../protocol/index.js';
import type { BrokerLimits } from './options.js';
import type { PacketTracer } from './packet-trace.js';
import type { BrokerStats } from './stats.js';

/**
 * What a connection needs of the broker: where its packets go (the handlers), the
 * limits it frames by, the counters and trace it feeds, and whom it tells that it
 * closed. One object for the whole broker, built by `Broker`; `C` is the connection
 * (`MqttConnection`), named by a parameter so that this file does not import it.
 */
export interface ConnectionCore<C> {
  readonly limits: Pick<BrokerLimits, 'maxPacketSize' | 'socketHighWaterMark'>;
  readonly stats: BrokerStats;
  readonly tracer: PacketTracer;
  /** Handles a decoded packet (`handlers/index.ts`); a promise when the handler waits. */
  dispatch(conn: C, packet: Packet): void | Promise<void>;
  /** Reports an unexpected error without taking the broker down. */
  reportError(err: unknown, context: string): void;
  /** The connection's socket closed (or its client sent DISCONNECT), whoever ended it. */
  connectionClosed(conn: C, reasonCode: number, reason: string): void;
}
