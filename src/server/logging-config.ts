import { createMessage, type Broker, type Disposer, type Logger } from '../broker/index.js';
import { configProvenance, type MidgeConfig } from '../config/index.js';
import { DEFAULT_LOG_TYPES, type LogFormat, type LogLevelName, type LogOptions, type LogType, type TopicPublisher } from '../logging/index.js';

/** What the command line may say over the configuration. */
export interface LogOverrides {
  level?: LogLevelName;
  format?: LogFormat;
}

/**
 * The log a configuration asks for (`log_level`, `log_format`, `log_dest`, `log_type`,
 * `log_timestamp*`). `log_type debug` (or `all`) writes debug lines without `log_level
 * debug` as well, as in mosquitto, unless `log_level` is set.
 */
export function logOptionsFromConfig(config: MidgeConfig, overrides: LogOverrides = {}): LogOptions {
  const o = config.operations;
  const types = o.logTypes?.filter((t): t is LogType => t !== 'all' && t !== 'none');
  const levelSet = configProvenance(config)?.settings.has('log_level') ?? true;
  const level = types?.includes('debug') && !levelSet && (o.logLevel === 'info' || o.logLevel === 'warn' || o.logLevel === 'error') ? 'debug' : o.logLevel;
  return {
    level: overrides.level ?? level,
    format: overrides.format ?? o.logFormat,
    destinations: o.logDestinations,
    types: types ?? DEFAULT_LOG_TYPES,
    timestamp: o.logTimestamp,
    timestampFormat: o.logTimestampFormat,
  };
}

/**
 * `log_dest topic`: each line published on mosquitto's `$SYS/broker/log/...` topics,
 * QoS 0 and not retained (a log line is news, not state).
 */
export function logLinePublisher(broker: Broker): TopicPublisher {
  return (topic, line) => {
    broker.publish(createMessage({
      topic, payload: Buffer.from(line), qos: 0, retain: false, properties: undefined,
      createdAt: Date.now(), expiresAt: undefined, origin: undefined,
    }));
  };
}

/**
 * mosquitto's `subscribe` and `unsubscribe` log types: one line per subscription
 * change (`CLIENT QOS FILTER`, `CLIENT FILTER`). `log_type` decides whether they show.
 */
export function logSubscriptions(broker: Broker, logger: Logger): Disposer {
  const off = [
    broker.hooks.on('subscribed', ({ clientId, filter, qos }) => logger.info({ clientId, qos, filter }, 'subscribed')),
    broker.hooks.on('unsubscribed', ({ clientId, filter }) => logger.info({ clientId, filter }, 'unsubscribed')),
  ];
  return () => off.forEach((dispose) => dispose());
}
