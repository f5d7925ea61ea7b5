/** Embedding API: start a midge server in-process, from options or from a configuration. */
export { startServer, listenerName, type Bridges, type MidgeServer, type ServerOptions, type ListenerSpec, type ServerListener } from './server.js';
export { startFromConfig, brokerLimits, type ConfiguredServer } from './from-config.js';
export { createCluster, type ClusterParts, type ClusterSettings } from './cluster-config.js';
export { checkConfigFiles } from './config-check.js';
export { logLinePublisher, logOptionsFromConfig, logSubscriptions, type LogOverrides } from './logging-config.js';
export type { ReloadReport } from './listener-set.js';
