import type { AccessControl } from '../access-control.js';
import type { PublishAdmission } from '../admission.js';
import type { FlowSource } from '../flow-control.js';
import type { BrokerMessage } from '../message.js';
import type { MqttConnection } from '../mqtt-connection.js';
import type { BrokerLimits, BrokerOptions } from '../options.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { ConnectionInfo } from '../ports/transport.js';
import type { SubscriptionEntry } from '../router/types.js';
import type { SessionRequest } from '../session-manager.js';
import type { Session } from '../session.js';
import type { BrokerStats } from '../stats.js';

/** The sessions a CONNECT or DISCONNECT opens, claims, looks up and changes. */
export interface HandlerSessions {
  open(link: MqttConnection, req: SessionRequest): { session: Session; present: boolean };
  /** Cluster: claims the client id; resolves with the release of its lock (see `SessionManager.acquire`). */
  acquire(clientId: string, clean: boolean, username: string | undefined): Promise<() => void>;
  /** Why the client id may not be taken by this user (a session of another user), if it may not. */
  refusalFor(clientId: string, username: string | undefined): string | undefined;
  get(clientId: string): Session | undefined;
  setExpiry(session: Session, expiryInterval: number): void;
}

/** Publish and subscribe as a client's packets ask for them. */
export interface HandlerPubSub {
  publish(message: BrokerMessage, source?: ConnectionInfo, publisher?: FlowSource): number;
  subscribe(session: Session, entry: SubscriptionEntry<Session>): boolean;
  unsubscribe(session: Session, filter: string): boolean;
  sendRetained(session: Session, entry: SubscriptionEntry<Session>, isNew: boolean): void;
}

/**
 * What a packet handler may use besides the connection the packet came on (and its
 * session, `conn.session`): the limits, the counters, access control, admission, the
 * log, the store, the sessions and publish/subscribe. One object for the whole broker,
 * built by `Broker`; nothing of the connection registry or the lifecycle. A handler is
 * `(ctx, conn, packet)`, so a test can hand it a context of fakes.
 */
export interface HandlerContext {
  readonly limits: BrokerLimits;
  /** The settings a CONNECT is decided by, beside the limits. */
  readonly settings: Pick<BrokerOptions,
    'allowZeroLengthClientId' | 'retainAvailable' | 'responseInformationPrefix' | 'enhancedAuthenticators' | 'authStepTimeout' | 'cluster'>;
  readonly stats: BrokerStats;
  readonly access: AccessControl;
  readonly admission: PublishAdmission;
  readonly logger: Logger;
  /** The store whose commit a persistent session's acknowledgements wait for. */
  readonly store: Store | undefined;
  readonly sessions: HandlerSessions;
  readonly pubsub: HandlerPubSub;
  /** Logs and announces (hooks) a connection whose CONNACK went out. */
  connectionOpened(conn: MqttConnection, sessionPresent: boolean, cleanStart: boolean): void;
  /** Logs and announces a CONNECT that was refused. */
  connectRefused(conn: MqttConnection, reasonCode: number, reason: string): void;
  /** Who holds the client id, when it is one of the broker's own sessions (a bridge's local side). */
  reservedFor(clientId: string): string | undefined;
  /** Reports an unexpected error (a failed store commit) without taking the broker down. */
  reportError(err: unknown, context: string): void;
}
