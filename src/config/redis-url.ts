/** One Sentinel's address. */
export interface SentinelAddress {
  host: string;
  port: number;
}

/**
 * Where `cluster_redis_url` points: one Redis server (`redis://`, `rediss://`,
 * left to the Redis client to read), or a primary that Redis Sentinel manages
 * (`redis+sentinel://`): the nodes ask the sentinels for the current primary, and
 * again after a failover.
 */
export type RedisEndpoint =
  | { kind: 'server'; url: string }
  | {
    kind: 'sentinel';
    sentinels: SentinelAddress[];
    /** The name the sentinels monitor the primary under (`sentinel monitor NAME ...`). */
    name: string;
    /** For the primary and its replicas (`requirepass`, ACL users). */
    username: string | undefined;
    password: string | undefined;
    /** For the sentinels themselves (`requirepass` in sentinel.conf), from `?sentinelPassword=`. */
    sentinelPassword: string | undefined;
  };

/** Port of a sentinel given without one. */
export const DEFAULT_SENTINEL_PORT = 26379;

const SENTINEL = /^redis\+sentinel:\/\/(?:([^@/?#]*)@)?([^/?#]+)\/([^/?#]+)\/?(?:\?([^#]*))?$/;

/**
 * Reads a `cluster_redis_url`; throws an Error saying what is wrong. Sentinel
 * form: `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/name[?sentinelPassword=...]`
 * (port default 26379; IPv6 hosts in brackets).
 */
export function parseRedisEndpoint(text: string): RedisEndpoint {
  const scheme = /^([a-z+]+):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      new URL(text);
    } catch {
      throw new Error('not a URL');
    }
    return { kind: 'server', url: text };
  }
  if (scheme === 'rediss+sentinel') throw new Error('TLS to a Sentinel-managed Redis (rediss+sentinel://) is not supported yet; use redis+sentinel://');
  if (scheme !== 'redis+sentinel') throw new Error('expected a redis://, rediss:// or redis+sentinel:// URL');
  const match = SENTINEL.exec(text);
  if (!match) throw new Error('expected redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/mastername');
  const [, userinfo, hosts, name, query] = match;
  const [username, password] = credentials(userinfo);
  return {
    kind: 'sentinel',
    sentinels: hosts!.split(',').map(sentinelAddress),
    name: decodeURIComponent(name!),
    username,
    password,
    sentinelPassword: sentinelPassword(query),
  };
}

function credentials(userinfo: string | undefined): [string | undefined, string | undefined] {
  if (userinfo === undefined) return [undefined, undefined];
  const at = userinfo.indexOf(':');
  if (at < 0) return [undefined, decodeURIComponent(userinfo)];
  const username = decodeURIComponent(userinfo.slice(0, at));
  return [username === '' ? undefined : username, decodeURIComponent(userinfo.slice(at + 1))];
}

function sentinelAddress(text: string): SentinelAddress {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a sentinel address (host, host:port or [ipv6]:port)`);
  const port = match[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[2]);
  if (!(port >= 1 && port <= 65535)) throw new Error(`sentinel port ${match[2]} is out of range`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function sentinelPassword(query: string | undefined): string | undefined {
  if (query === undefined || query === '') return undefined;
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'sentinelPassword') throw new Error(`unknown parameter '${key}' (the only one is sentinelPassword)`);
  }
  return params.get('sentinelPassword') ?? undefined;
}

/** The URL with its passwords replaced by `***`, for messages and `--test-config`. */
export function redactRedisUrl(text: string, redacted = '***'): string {
  return text
    .replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, `$1${redacted}@`)
    .replace(/([?&]sentinelPassword=)[^&#]*/, `$1${redacted}`);
}
