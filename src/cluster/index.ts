/** Clustering over Redis: the broker core's `ClusterBus` port (see docs/cluster.md). */
export { RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
export { defaultTimings, type ClusterStore, type ClusterTimings } from './context.js';
export { decodeEnvelope, encodeEnvelope, type EncodedRouted, type Envelope, type Routed, type Target } from './envelope.js';
