/**
 * Bridges (mosquitto.conf(5)'s `connection` blocks): links from this broker to others,
 * built on midge's client, with the local side an ordinary persistent session of the
 * broker. See docs/bridges.md.
 */
export { Bridge, type BridgeContext } from './bridge.js';
export { BridgeManager } from './manager.js';
export type { BridgeState, BridgeStatus } from '../broker/index.js';
export type { BridgeConfig, BridgeDirection, BridgeRestart, BridgeTls, BridgeTopic } from './options.js';
export { TopicMap } from './topic-map.js';
