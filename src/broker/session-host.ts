import type { ProtocolVersion } from '../protocol/index.js';
import type { Hooks } from './hooks.js';
import type { BrokerMessage } from './message.js';
import { MqttConnection } from './mqtt-connection.js';
import type { BrokerLimits, BrokerOptions } from './options.js';
import type { Logger } from './ports/logger.js';
import type { SessionLink } from './ports/session-link.js';
import type { Store, StoredWill } from './ports/store.js';
import type { TopicRouter } from './router/topic-router.js';
import type { Recipient } from './router/types.js';
import type { ReceiveCheck } from './routing.js';
import type { Session, SessionEvents, SessionLimits } from './session.js';
import { sessionLimitsOf } from './session-types.js';
import type { BrokerStats } from './stats.js';

/** What a CONNECT asks of the session layer. */
export interface SessionRequest {
  clientId: string;
  clean: boolean;
  expiryInterval: number;
  protocolVersion: ProtocolVersion;
  username: string | undefined;
  will: StoredWill | undefined;
}

/**
 * What the session manager uses of the broker: the store and the cluster it keeps
 * sessions in, the router their subscriptions live in, the receive check for moving
 * shared deliveries, where wills are published and subscriptions removed, and where
 * sessions report drops (`events`).
 */
export interface SessionHost {
  readonly options: Pick<BrokerOptions, 'cluster' | 'limits' | 'sessionOwner'>;
  readonly store: Store | undefined;
  readonly stats: BrokerStats;
  readonly hooks: Hooks;
  readonly logger: Logger;
  readonly access: ReceiveCheck;
  readonly router: TopicRouter<Recipient>;
  /** Where the sessions report drops and withheld messages. */
  readonly events: SessionEvents;
  publish(message: BrokerMessage): number;
  unsubscribe(session: Session, filter: string): boolean;
}

/** The limits of a session on a link: the inflight window respects the client's Receive Maximum. */
export function sessionLimits(l: BrokerLimits, link: SessionLink | MqttConnection | undefined): SessionLimits {
  const clientMax = link instanceof MqttConnection ? link.clientReceiveMaximum : (link?.receiveMaximum ?? 65535);
  return sessionLimitsOf(Math.max(1, Math.min(l.maxInflightMessages, clientMax)), l.maxQueuedMessages, l.maxQueuedBytes);
}
