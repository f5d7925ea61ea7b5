/**
 * `midge`: the broker for embedding in an application (`package.json` `exports["."]`).
 *
 * ```ts
 * import { startServer } from 'midge';
 * const server = await startServer({ listeners: [{ port: 1883, host: '127.0.0.1', protocol: 'mqtt' }] });
 * server.broker.hooks.on('clientConnected', (e) => console.log(e.clientId));
 * await server.close();
 * ```
 *
 * `startFromConfig(loadConfig({ file }), logger)` runs what a mosquitto.conf or YAML file
 * describes, as `midge broker -c FILE` does. `createCluster({ redisUrl })` gives the `store`
 * and `cluster` of a node of a cluster (docs/cluster.md). The client is `midge/client`, the codec
 * `midge/protocol`, the broker core and its ports `midge/broker`.
 */
export {
  startServer, startFromConfig, listenerName, createCluster,
  type ClusterParts, type ClusterSettings,
  type ConfiguredServer, type ListenerSpec, type MidgeServer, type ServerListener, type ServerOptions,
} from './server/index.js';
export { loadConfig, ConfigError, type LoadConfigOptions, type MidgeConfig } from './config/index.js';
export {
  Broker, silentLogger,
  type BrokerEvents, type BrokerLimits, type BrokerOptions, type Disposer, type Logger,
} from './broker/index.js';
export { MemoryStore, SqliteStore, RedisStore, createStore } from './persistence/index.js';
