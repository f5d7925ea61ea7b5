/**
 * How midge logs, in mosquitto's terms: where (`log_dest`), which kinds of line
 * (`log_type`), how timestamps look (`log_timestamp`, `log_timestamp_format`), plus
 * midge's own level and format.
 */

/** `text`: one line per event for people; `json`: one pino JSON object per line. */
export type LogFormat = 'text' | 'json';

/** mosquitto's `log_dest` values midge honours (`dlt` is not supported). */
export type LogDestination =
  | { kind: 'stderr' }
  | { kind: 'stdout' }
  | { kind: 'file'; path: string }
  | { kind: 'syslog' }
  | { kind: 'topic' }
  | { kind: 'none' };

/** mosquitto's `log_type` categories (`all` and `none` are spelled as lists of these). */
export type LogType = 'error' | 'warning' | 'notice' | 'information' | 'debug' | 'subscribe' | 'unsubscribe' | 'websockets';

/** Every log type, in mosquitto's order. */
export const LOG_TYPES: readonly LogType[] = ['error', 'warning', 'notice', 'information', 'debug', 'subscribe', 'unsubscribe', 'websockets'];

/** The types written when `log_type` is not set: all but the per-subscription lines (mosquitto leaves those out too). */
export const DEFAULT_LOG_TYPES: readonly LogType[] = ['error', 'warning', 'notice', 'information', 'debug', 'websockets'];

/** Levels, lowest first; `silent` writes nothing. */
export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Everything {@link createLog} needs. */
export interface LogOptions {
  level: LogLevelName;
  /** Undefined: text where the destination is a terminal, JSON elsewhere. */
  format: LogFormat | undefined;
  /** Where lines go; empty means standard error (mosquitto's default). */
  destinations: readonly LogDestination[];
  /** Which kinds of line are written (see {@link DEFAULT_LOG_TYPES}). */
  types: readonly LogType[];
  /** Text lines start with a timestamp (mosquitto's `log_timestamp`). Default true. */
  timestamp: boolean;
  /** strftime format of text timestamps, in local time; undefined: ISO 8601 in UTC with milliseconds. */
  timestampFormat: string | undefined;
  /** The Unix socket syslog lines go to; default `/dev/log`. */
  syslogSocket?: string;
  /** Bound to every JSON line (pino's `base`). */
  base?: Record<string, unknown>;
}
