/**
 * midge's configuration: mosquitto.conf syntax or YAML, `MIDGE_*` environment overrides and
 * command-line overrides, resolved into one plain `MidgeConfig`.
 */
export { loadConfig, type ConfigOverrides, type LoadConfigOptions, type OverrideValue } from './load.js';
export { formatConfig, globalOptions, listenerOptions, REDACTED } from './format.js';
export { configWarnings } from './warnings.js';
export { ConfigError, formatOrigin, type Origin } from './errors.js';
export { configProvenance, type ConfigProvenance } from './provenance.js';
export { DEFAULT_LIMITS, brokerLimitsOf, isLoopbackAddress } from './resolve.js';
export { describeListener } from './validate.js';
export { ENVIRONMENT_PREFIX } from './env.js';
export { parseRedisEndpoint, redactRedisUrl, DEFAULT_SENTINEL_PORT, type RedisEndpoint, type SentinelAddress } from './redis-url.js';
export * from './types.js';
