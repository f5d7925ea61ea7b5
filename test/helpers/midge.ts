import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type MidgeServer, type ServerOptions } from '../../src/server/index.js';
import type { RunningBroker } from './mosquitto.js';
import { freePort, waitForPort } from './ports.js';

/** The repository root, for spawning the built CLI. */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The built CLI (npm test builds it first). */
export const CLI = join(ROOT, 'dist/cli/main.js');

/** An in-process midge on a random loopback port. */
export interface InProcessMidge {
  server: MidgeServer;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts midge in this process on 127.0.0.1 and a random port. Fast, and lets a
 * test look at the broker's state; use {@link spawnMidge} when a test needs a
 * separate process (signals, kill -9, CLI behaviour).
 */
export async function startMidge(options: Partial<ServerOptions> = {}): Promise<InProcessMidge> {
  const server = await startServer({
    listeners: options.listeners ?? [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }],
    broker: options.broker,
  });
  return { server, port: server.listeners[0]!.port, stop: () => server.close() };
}

/** The JSON log records (the format of a broker whose output is not a terminal) whose message is `msg`. */
export function jsonLogLines(output: string, msg: string): Array<Record<string, unknown>> {
  return output.split('\n').filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

/** Options of {@link spawnMidge}. */
export interface SpawnOptions {
  /** Config file text; written to a temp file and passed with -c. `{port}` is replaced by the port. */
  config?: string;
  /** More CLI arguments. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Port to use; a free one by default. */
  port?: number;
  /** More `{name}` placeholders to replace in the config text (e.g. other listeners' ports). */
  placeholders?: Record<string, string | number>;
  /** Config file name (its extension picks the syntax); default midge.conf. */
  configName?: string;
  /** Working directory; a fresh temp dir by default (removed by stop()). */
  cwd?: string;
  /** A command that runs the broker and execs it, keeping its pid (e.g. `['prlimit', '--nofile=128:128']`). */
  wrapper?: string[];
}

/** A midge broker process started by a test. */
export interface SpawnedMidge extends RunningBroker {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGKILL and waits for the exit. */
  kill9(): Promise<void>;
}

/** Runs `node dist/cli/main.js broker` as a separate process on a random port. */
export async function spawnMidge(options: SpawnOptions = {}): Promise<SpawnedMidge> {
  const port = options.port ?? await freePort();
  const ownDir = options.cwd === undefined;
  const dir = options.cwd ?? mkdtempSync(join(tmpdir(), 'midge-spawn-'));
  const args = [CLI, 'broker', '--log-level', 'warn'];
  if (options.config !== undefined) {
    const file = join(dir, options.configName ?? 'midge.conf');
    let text = options.config.replaceAll('{port}', String(port));
    for (const [name, value] of Object.entries(options.placeholders ?? {})) text = text.replaceAll(`{${name}}`, String(value));
    writeFileSync(file, text);
    args.push('-c', file);
  } else {
    args.push('--port', String(port));
  }
  args.push(...(options.args ?? []));
  const [command, ...commandArgs] = [...(options.wrapper ?? []), process.execPath, ...args];
  const child = spawn(command!, commandArgs, { cwd: dir, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([waitForPort(port), exited.then(() => { throw new Error('exited'); })]);
  } catch {
    child.kill('SIGKILL');
    throw new Error(`midge did not start: ${out}`);
  }
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    child,
    output: () => out,
    async stop() {
      if (running()) {
        child.kill('SIGTERM');
        await exited;
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill9() {
      if (running()) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
