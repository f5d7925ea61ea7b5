import { readFileSync } from 'node:fs';

/**
 * The process's soft limit on open file descriptors, read from `/proc/self/limits`
 * (Node has no getrlimit); undefined where that cannot be read or says "unlimited".
 */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  try {
    const line = read().split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line ? Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]) : NaN;
    return Number.isInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `max_connections` for each of `listeners` network listeners that set none: the
 * descriptor limit less a reserve (the store, logs, the admin listener, Redis, DNS: a
 * tenth of the limit, from 32 to 256), shared out equally, so that a flood of sockets
 * on one listener fills that listener and never takes the descriptors the process and
 * the other listeners need. Infinity (no cap) when the limit is unknown.
 */
export function defaultMaxConnections(listeners: number, limit = openFileLimit()): number {
  if (limit === undefined || listeners <= 0) return Infinity;
  const reserve = Math.min(256, Math.max(32, Math.floor(limit / 10)));
  return Math.max(1, Math.floor((limit - reserve) / listeners));
}
