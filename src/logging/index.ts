/** The logging adapter: the broker's Logger port as text or JSON lines, to mosquitto's destinations. */
export { createLog, type MidgeLog, type TopicPublisher } from './log.js';
export { DEFAULT_LOG_TYPES, LOG_TYPES, type LogDestination, type LogFormat, type LogLevelName, type LogOptions, type LogType } from './options.js';
export { formatText } from './text-format.js';
