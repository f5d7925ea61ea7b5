import type { Session } from '../session.js';
import type { SessionLink } from './session-link.js';
import type { ConnectionInfo } from './transport.js';

/**
 * A client the broker serves through something other than an MQTT network
 * connection, e.g. an MQTT-SN client of the gateway. The adapter that owns it runs
 * its own protocol (keep alive included) and reports to the broker: it registers the
 * endpoint with `Broker.openEndpoint`, opens its session with `broker.sessions.open`,
 * then calls `Broker.connectionOpened`; when the client goes, `Broker.connectionClosed`.
 *
 * `close()` (inherited from {@link SessionLink}) is how the broker ends the client
 * (session takeover, shutdown). It must report `connectionClosed` asynchronously,
 * as a socket would: the broker calls it in the middle of taking the session over.
 */
export interface ClientEndpoint extends SessionLink {
  readonly clientId: string;
  readonly info: ConnectionInfo;
  /** Epoch ms when the client's CONNECT arrived (the admin API's `connectedAt`). */
  readonly openedAt: number;
  /** Keep alive in ms that the adapter enforces (for logs); 0: none. */
  readonly keepAliveMs: number;
  /** The session, once the CONNECT that opened it is accepted. */
  readonly session: Session | undefined;
  /** The client ended the connection in a way that discards its will. */
  readonly graceful: boolean;
}
