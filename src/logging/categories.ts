import type { LogType } from './options.js';

/** pino's level numbers, so JSON lines keep the numbers log tools expect. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: Infinity } as const;

/** A level the Logger port writes at. */
export type WriteLevel = Exclude<keyof typeof LEVELS, 'silent'>;

/**
 * Events mosquitto logs as `notice`: a client's or a listener's life. Everything else at
 * info is `information`. Keyed by the message the core logs (see `Broker`, `startServer`).
 */
const NOTICE_EVENTS: ReadonlySet<string> = new Set([
  'client connected', 'client disconnected', 'connection refused', 'connection failed',
  'listening', 'listener closed', 'starting', 'running', 'shutting down', 'reloading',
]);

/**
 * Events of their own mosquitto type. (`websockets` has none: mosquitto's are libwebsockets'
 * internals; a refused WebSocket upgrade is a failed connection, a notice.)
 */
const TYPED_EVENTS: ReadonlyMap<string, LogType> = new Map<string, LogType>([
  ['subscribed', 'subscribe'],
  ['unsubscribed', 'unsubscribe'],
]);

/**
 * The mosquitto `log_type` of a line: errors and warnings by level, debug and trace
 * lines are `debug`, and info lines by event.
 */
export function categoryOf(level: WriteLevel, message: string): LogType {
  if (level === 'error') return 'error';
  if (level === 'warn') return 'warning';
  const typed = TYPED_EVENTS.get(message);
  if (typed) return typed;
  if (level === 'debug' || level === 'trace') return 'debug';
  return NOTICE_EVENTS.has(message) ? 'notice' : 'information';
}

/** The letter of mosquitto's `$SYS/broker/log/<letter>` topic for a type. */
export function topicOf(type: LogType): string {
  switch (type) {
    case 'error': return '$SYS/broker/log/E';
    case 'warning': return '$SYS/broker/log/W';
    case 'notice': return '$SYS/broker/log/N';
    case 'information': return '$SYS/broker/log/I';
    case 'debug': return '$SYS/broker/log/D';
    case 'subscribe': return '$SYS/broker/log/M/subscribe';
    case 'unsubscribe': return '$SYS/broker/log/M/unsubscribe';
    case 'websockets': return '$SYS/broker/log/WS';
  }
}

/** syslog severities (RFC 5424) as mosquitto maps its types onto them. */
export function syslogSeverity(type: LogType): number {
  switch (type) {
    case 'error': return 3;
    case 'warning': return 4;
    case 'notice': case 'subscribe': case 'unsubscribe': return 5;
    case 'information': return 6;
    case 'debug': case 'websockets': return 7;
  }
}
