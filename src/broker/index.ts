/** The broker core and its ports. */
export { Broker } from './broker.js';
export type { ConnectionRevocationCheck } from './revocation.js';
export { LoginBackoff, defaultLoginBackoff, type LoginBackoffOptions, type LoginRefusal } from './login-backoff.js';
export { MqttConnection } from './mqtt-connection.js';
export { defaultLimits, resolveBrokerOptions, type BrokerLimits, type BrokerOptions } from './options.js';
export { exceedsTopicLevels, handshakeLimits, type HandshakeLimits } from './limits.js';
export { AccessControl } from './access-control.js';
export {
  ACCEPTED, CLUSTER_UNAVAILABLE, PublishAdmission,
  type Accepted, type Publisher, type PublishRefusal, type PublishRights, type PublishVerdict, type Refused,
} from './admission.js';
export { AcknowledgementGate, type AcknowledgementWait, type RemoveWait } from './admission-gate.js';
export { whenDurable } from './commit-gate.js';
export type * from './ports/auth.js';
export type * from './ports/store.js';
export {
  ClusterUnavailableError, SessionOwnedError, type ClaimOwner, type ClaimResult, type ClusterBus, type ClusterLease, type ClusterLeases, type ClusterNodeInfo,
} from './ports/cluster.js';
export { encodeStoredMessage, decodeStoredMessage } from './message-codec.js';
export {
  plainSubscription, subscriptionEntry, type Recipient, type SharedGroup, type Subscriber, type SubscriptionEntry, type SubscriptionOptions,
} from './router/types.js';
export { TopicRouter } from './router/topic-router.js';
export type { SessionManager } from './session-manager.js';
export type * from './ports/transport.js';
export type * from './ports/session-link.js';
export type * from './ports/client-endpoint.js';
export type * from './ports/bridges.js';
export { silentLogger, type Logger } from './ports/logger.js';
export { Hooks, type BrokerEvents, type Disposer } from './hooks.js';
export type { BrokerMessage, ForwardedProperties } from './message.js';
export { createMessage } from './message.js';
export { fromStoredMessage, toStoredMessage } from './stored.js';
export { restageSession } from './session-restage.js';
export type { Session } from './session.js';
export type { FlowControl, FlowSource, FlowStats } from './flow-control.js';
export { BrokerStats } from './stats.js';
export { notMqttStart, type ConnectionFailureKind, type FailedConnection } from './connection-failures.js';
export { Readiness } from './readiness.js';
export { PacketTracer, compilePatterns, type TraceBudget, type TracedConnection } from './packet-trace.js';
export { SysTopics, dampedLoad, sysFigures, type SysTopicsOptions } from './sys-topics.js';
