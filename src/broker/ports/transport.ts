import type { Authenticator, Authorizer, PeerCertificateInfo } from './auth.js';

/** What a transport adapter tells the broker about a new connection. */
export interface ConnectionInfo {
  /** The listener's name, e.g. `mqtt:1883`, for logs, metrics and ACLs. */
  listener: string;
  transport: 'tcp' | 'tls' | 'ws' | 'wss' | 'mqttsn';
  remoteAddress: string;
  remotePort: number | undefined;
  /** TLS or WSS: what arrives here was encrypted on the wire. */
  encrypted: boolean;
  /** Everything published on this listener is confidential (issue 10). */
  confidential: boolean;
  /** The verified client certificate, on TLS listeners that asked for one. */
  certificate: PeerCertificateInfo | undefined;
  /** Listener-specific security (per_listener_settings); undefined: the broker's. */
  security: ListenerSecurity | undefined;
}

/** Authenticators and authorizers that replace the broker-wide chains on one listener. */
export interface ListenerSecurity {
  authenticators: Authenticator[];
  authorizers: Authorizer[];
}
