/** The broker core and its ports. */
export { Broker } from './broker.js';
export { MqttConnection } from './mqtt-connection.js';
export { defaultLimits, resolveBrokerOptions, type BrokerLimits, type BrokerOptions } from './options.js';
export type * from './ports/auth.js';
export type * from './ports/store.js';
export type * from './ports/transport.js';
export type * from './ports/session-link.js';
export type * from './ports/client-endpoint.js';
export { silentLogger, type Logger } from './ports/logger.js';
export { Hooks, type BrokerEvents, type Disposer } from './hooks.js';
export type { BrokerMessage, ForwardedProperties } from './message.js';
export { createMessage } from './message.js';
export type { Session } from './session.js';
export { BrokerStats } from './stats.js';
export { Readiness } from './readiness.js';
export { SysTopics, dampedLoad, sysFigures, type SysTopicsOptions } from './sys-topics.js';
