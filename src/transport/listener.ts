import type { ListenerSecurity } from '../broker/index.js';

/** What every MQTT listener is configured with. */
export interface ListenerCommon {
  port: number;
  /** Address to bind; undefined binds every address. */
  host: string | undefined;
  /** The listener's name in logs, metrics and ACLs. */
  name: string;
  /** Refuse connections beyond this many (Infinity or 0: no limit). */
  maxConnections: number;
  /** Everything published on this listener is confidential. */
  confidential: boolean;
  /** Listener-specific authenticators/authorizers (per_listener_settings). */
  security: ListenerSecurity | undefined;
}
