import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { requireBinary } from './external.js';
import { freePort, waitForPort } from './ports.js';

/** Debian's Redis server. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** A redis-server a test started on a random loopback port. */
export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:PORT` */
  url: string;
  pid: number | undefined;
  /** SIGTERM, then the wait for the exit (Redis writes its append-only file first). */
  stop(): Promise<void>;
  /** SIGKILL, then the wait for the exit. */
  kill9(): Promise<void>;
  /** SIGSTOP / SIGCONT: the process stops answering, then goes on. */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port and directory (after stop or kill9; no-op while it runs). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  remove(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** Keep an append-only file (fsync every write), so data survives a restart. Default false. */
  appendonly?: boolean;
  /** More arguments, e.g. `['--replicaof', '127.0.0.1', port]`. */
  args?: string[];
  /** Run as a Sentinel with this configuration (written into its directory, which Sentinel rewrites). */
  sentinelConfig?: string;
}

/**
 * Registers the tests of a file that need Redis when `redis-server` is installed;
 * otherwise one test that is skipped, or fails under CI=true (CI must install it).
 */
export function withRedis(register: () => void): void {
  if (existsSync(REDIS_SERVER)) return register();
  it('needs redis-server', (t) => {
    requireBinary(t, REDIS_SERVER);
  });
}

/** Starts `redis-server` on 127.0.0.1 and a free port, without snapshots (see {@link withRedis}). */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'midge-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    '--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', 'always', '--loglevel', 'warning', ...options.args ?? []];
  if (options.sentinelConfig !== undefined) {
    const file = join(dir, 'sentinel.conf');
    writeFileSync(file, options.sentinelConfig);
    args.unshift(file, '--sentinel');
  }
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';
  const launch = async () => {
    const c = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    try {
      await waitForPort(port);
    } catch (err) {
      c.kill('SIGKILL');
      throw new Error(`redis-server did not start: ${out}`, { cause: err });
    }
  };
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const signal = async (name: NodeJS.Signals) => {
    if (running()) {
      child!.kill(name);
      await exited;
    }
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() { return child?.pid; },
    stop: () => signal('SIGTERM'),
    kill9: () => signal('SIGKILL'),
    pause: () => { if (running()) child!.kill('SIGSTOP'); },
    resume: () => { if (running()) child!.kill('SIGCONT'); },
    restart: async () => {
      if (!running()) await launch();
    },
    async remove() {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
