/**
 * The logging port: the subset of pino the broker uses. Structured fields first,
 * message second, so every line carries client id and reason codes as fields.
 */
export interface Logger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  child?(bindings: object): Logger;
  /**
   * False when lines of this level are dropped whatever they say, so that a caller on a
   * hot path (every connect) can skip building them; as pino's. Absent: assume enabled.
   */
  isLevelEnabled?(level: 'error' | 'warn' | 'info' | 'debug'): boolean;
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  isLevelEnabled: () => false,
};
