/**
 * Runs the built CLI (`node dist/cli/main.js ...`) as a child process, with
 * bounded waits and a kill by pid when a test is done with it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The built CLI; `npm test` builds it first. */
export const CLI = join(ROOT, 'dist/cli/main.js');

/** How a finished CLI process ended. */
export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * The environment of a CLI process: the test's, with XDG_CONFIG_HOME pointing where no
 * defaults file is, so that the user's own `~/.config/midge_pub` cannot change a test.
 */
function cliEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  return { ...process.env, XDG_CONFIG_HOME: join(ROOT, 'test/cli/no-defaults-here'), ...env };
}

function spawnCli(args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
  assert.ok(existsSync(CLI), `${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  return spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv(env) });
}

/** How to run the CLI: its stdin, a bound on its run time, and environment variables to add. */
export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs the CLI to completion; `input` goes to its stdin. Fails the test after `timeoutMs`. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options.env);
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin?.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`midge ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** A CLI process left running (a subscriber), to be read while it works. */
export interface RunningCli {
  pid: number | undefined;
  /** Resolves once stderr or stdout contains `text` (e.g. `received SUBACK` with -d). */
  waitFor(text: string, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<void>;
  /** Resolves when the process exits by itself. */
  finished(timeoutMs?: number): Promise<CliResult>;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

/** Starts the CLI and returns at once. */
export function startCli(args: readonly string[], env?: NodeJS.ProcessEnv): RunningCli {
  const child = spawnCli(args, env);
  const out: Buffer[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  child.stdout?.on('data', (d: Buffer) => { out.push(d); notify(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); notify(); });
  child.stdin?.end();
  const closed = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
  const bounded = (promise: Promise<CliResult>, ms: number, what: string): Promise<CliResult> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${what} within ${ms} ms; stderr: ${stderr}`));
        }, ms);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  return {
    pid: child.pid,
    waitFor(text, stream = 'stderr', timeoutMs = 10_000) {
      const seen = (): boolean => (stream === 'stderr' ? stderr : Buffer.concat(out).toString()).includes(text);
      return new Promise((resolve, reject) => {
        if (seen()) return resolve();
        const check = (): void => {
          if (!seen()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`'${text}' did not appear on ${stream} within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void closed.then(() => {
          if (listeners.has(check)) {
            cleanup();
            if (seen()) resolve();
            else reject(new Error(`the process exited before '${text}' appeared; stderr: ${stderr}`));
          }
        });
      });
    },
    finished: (timeoutMs = 15_000) => bounded(closed, timeoutMs, 'the process did not exit'),
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, signal);
      return bounded(closed, 10_000, 'the process did not stop');
    },
  };
}

/** Starts `midge sub` with -d and waits until its subscription is acknowledged. */
export async function subscribed(args: readonly string[]): Promise<RunningCli> {
  const sub = startCli(['sub', '-d', ...args]);
  await sub.waitFor('received SUBACK');
  return sub;
}
