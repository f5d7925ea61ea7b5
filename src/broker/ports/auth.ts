import type { ProtocolVersion, QoS } from '../../protocol/index.js';

/** What the broker knows of a client's TLS certificate, when it presented one. */
export interface PeerCertificateInfo {
  /** The subject as an RFC 2253 style string, e.g. `CN=sensor-1,O=Acme`. */
  subject: string;
  /** The subject's Common Name, when it has one. */
  commonName?: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256?: string;
  /**
   * Issuer and serial number, the pair a CRL names a certificate by (opaque), so that a
   * connection can be re-checked when a new CRL is loaded.
   */
  revocationId?: string;
}

/** The facts an {@link Authenticator} decides a CONNECT on. */
export interface ConnectCredentials {
  clientId: string;
  username?: string;
  password?: Buffer;
  protocolVersion: ProtocolVersion;
  /** The listener the client arrived on (its configured name, e.g. `1883` or `8883@0.0.0.0`). */
  listener: string;
  remoteAddress: string;
  /** Present on TLS listeners when the client sent a certificate the listener verified. */
  certificate?: PeerCertificateInfo;
}

/** The outcome of authentication. */
export type AuthenticationResult =
  | { outcome: 'allow'; /** The user name the broker should use from now on (e.g. from a certificate). */ username?: string }
  /** Refused: reasonCode is a v5 CONNACK code (`ReasonCode.BadUserNameOrPassword`, `ReasonCode.NotAuthorized`, ...). */
  | { outcome: 'deny'; reasonCode: number; reason: string }
  /** This authenticator has no opinion; the next one in the chain decides. */
  | { outcome: 'ignore' };

/**
 * Decides whether a client may connect. Authenticators are chained: the first
 * `deny` wins; a client is admitted when one allows and none denies.
 */
export interface Authenticator {
  /** A short name for logs, e.g. `password-file`. */
  readonly name: string;
  authenticate(credentials: ConnectCredentials): AuthenticationResult | Promise<AuthenticationResult>;
  /**
   * Called after the authenticator reloaded its files, for each client it admitted
   * earlier: why that client would not be admitted now (its user removed, its password
   * changed), or undefined. The broker disconnects the client with that reason.
   */
  revoked?(client: AdmittedClient): string | undefined;
}

/** A connected client, as a reload re-checks its admission: what it connected with, less the password. */
export type AdmittedClient = Omit<ConnectCredentials, 'password'>;

/** A connected client as authorizers see it. */
export interface ClientPrincipal {
  clientId: string;
  username?: string;
  listener: string;
}

/**
 * Decides what a connected client may do with topics. Checks are synchronous
 * because the delivery check runs per message per subscriber on the hot path;
 * implementations cache what they need. Authorizers are chained: first deny wins.
 */
export interface Authorizer {
  readonly name: string;
  /** May the client publish to this topic name (also checked for the will topic at CONNECT)? */
  canPublish(client: ClientPrincipal, topic: string, qos: QoS, retain: boolean): boolean;
  /** May the client subscribe to this filter? */
  canSubscribe(client: ClientPrincipal, filter: string, qos: QoS): boolean;
  /** May a message on this topic be delivered to the client (retained messages too)? */
  canReceive(client: ClientPrincipal, topic: string): boolean;
  /**
   * Bumped whenever any decision may change (a reload of the rules). With it the broker
   * reuses the read decision it made when routing a message, for the same principal and
   * the same version, when that message is transmitted later; an authorizer without
   * it is asked again at every transmission.
   */
  readonly version?: number;
}

/** One step of an enhanced authentication exchange (MQTT 5 section 4.12). */
export type AuthStep =
  /** Send this data to the client in AUTH 0x18 and wait for its answer. */
  | { outcome: 'continue'; data: Buffer | undefined }
  /** Authenticated; `data` goes in the CONNACK or final AUTH. */
  | { outcome: 'success'; data: Buffer | undefined; username?: string }
  /** Refused with a v5 reason code (`ReasonCode.NotAuthorized`, `ReasonCode.BadAuthenticationMethod`, ...). */
  | { outcome: 'failure'; reasonCode: number; reason: string };

/** The facts an enhanced authentication exchange starts from. */
export interface EnhancedAuthContext {
  clientId: string;
  /** The user name of the CONNECT, if any. */
  username: string | undefined;
  listener: string;
  remoteAddress: string;
  /** True for re-authentication on a live connection [MQTT-4.12.1-1]. */
  reauthentication: boolean;
}

/** One exchange: called with the client's Authentication Data, first from CONNECT (or AUTH 0x19), then from each AUTH 0x18. */
export interface EnhancedAuthExchange {
  step(data: Buffer | undefined): AuthStep | Promise<AuthStep>;
}

/**
 * An MQTT 5 enhanced authentication method (e.g. SCRAM-SHA-256), chosen by the
 * client's Authentication Method property [MQTT-4.12.0-1].
 */
export interface EnhancedAuthenticator {
  /** The Authentication Method name, compared exactly. */
  readonly method: string;
  begin(context: EnhancedAuthContext): EnhancedAuthExchange;
  /** After a reload: why the user a client authenticated as would not be admitted now, or undefined. */
  revoked?(username: string | undefined): string | undefined;
}
