import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchSummary } from '../../src/bench/index.js';

/** The built CLI (npm test builds first; run `npx tsc -p tsconfig.build.json` before a single file). */
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** How a `midge bench` process ended. */
export interface BenchExit {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The `--json` summary, when stdout holds one. */
  summary: BenchSummary;
}

/** A `midge bench` process running in the background. */
export interface RunningBench {
  /** Resolves once stderr matches, rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when the process exits; kills it (by pid) after `timeoutMs`. */
  finished(timeoutMs?: number): Promise<BenchExit>;
}

/** Starts `midge bench ARGS` (always with --json). */
export function startBench(args: string[]): RunningBench {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const child = spawn(process.execPath, [CLI, 'bench', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    waitForOutput(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.stderr.off('data', check);
          reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms: ${stderr}`));
        }, timeoutMs);
        const check = (): void => {
          if (!pattern.test(stderr)) return;
          clearTimeout(timer);
          child.stderr.off('data', check);
          resolve();
        };
        child.stderr.on('data', check);
        check();
      });
    },
    async finished(timeoutMs = 30_000) {
      const timer = setTimeout(() => { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); }, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      let summary: BenchSummary;
      try {
        summary = JSON.parse(stdout) as BenchSummary;
      } catch {
        throw new Error(`midge bench ${args.join(' ')} exited with ${code} without a JSON summary:\n${stdout}\n${stderr}`);
      }
      return { code, stdout, stderr, summary };
    },
  };
}

/** Runs `midge bench ARGS --json` to the end. */
export function runBench(args: string[], timeoutMs = 30_000): Promise<BenchExit> {
  return startBench(args).finished(timeoutMs);
}

/** Latency percentiles must never decrease from p50 to the maximum. */
export function percentilesAscend(p: BenchSummary['latency']): boolean {
  return p !== undefined && p.p50Us <= p.p90Us && p.p90Us <= p.p99Us && p.p99Us <= p.p999Us && p.p999Us <= p.maxUs;
}
