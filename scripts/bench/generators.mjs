// The load generators `npm run bench` can drive: `midge bench` (the default) and
// mqbench, the independent C generator of ../shared/tools/mqbench, as a cross-check.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIDGE_CLI, withFdLimit } from './brokers.mjs';

const root = new URL('../..', import.meta.url).pathname;
const MQBENCH_SOURCE = join(root, '../shared/tools/mqbench/mqbench.c');

/** Runs a command to its end (killed by pid after `timeoutMs`); resolves with its output. */
function run(argv, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d.toString(); });
    child.stderr.on('data', (d) => { stderr = (stderr + d.toString()).slice(-4000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function pinned(cpu, argv) {
  return withFdLimit(cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv]);
}

/**
 * The warm-up of a run: the run's, or longer where the scenario asks (the fleet's first
 * round of messages fills the topic router's cache and each session's first containers,
 * which is not the steady state it measures). A quick run keeps its own.
 */
function warmupFor(scenario, ctx) {
  return ctx.quick ? ctx.warmupS : Math.max(ctx.warmupS, scenario.minWarmupS ?? 0);
}

/** `midge bench`, the generator of record. */
export const midgeGenerator = {
  name: 'midge-bench',
  unavailable: () => (existsSync(MIDGE_CLI) ? undefined : `${MIDGE_CLI} is missing (npm run build)`),
  async run(scenario, ctx) {
    const timing = scenario.holds
      ? ['-d', String(ctx.hold)]
      : ['-d', String(ctx.durationS), '--warmup', String(warmupFor(scenario, ctx))];
    const args = [...scenario.midge(ctx), '-p', String(ctx.loadPort ?? ctx.port), ...timing, '--broker-pid', String(ctx.pid),
      '-w', String(scenario.workers ?? ctx.workers), '--json', '--quiet', ...(ctx.subPort ? ['--sub-port', String(ctx.subPort)] : [])];
    const result = await run(pinned(ctx.genCpu, [process.execPath, MIDGE_CLI, 'bench', ...args]), ctx.timeoutMs);
    let summary;
    try {
      summary = JSON.parse(result.stdout);
    } catch {
      return { ok: false, error: `midge bench ${args.join(' ')} gave no summary (exit ${result.code}): ${result.stderr.trim()}` };
    }
    return {
      ok: summary.ok,
      figures: scenario.fromMidge(summary),
      // Messages sent and never received (gaps included); none in a connections run.
      lost: summary.mode === 'conn' ? undefined : summary.verification?.lost,
      genCpu: summary.cpu.generatorPercent,
      brokerCpu: summary.cpu.brokerPercent,
      genWait: summary.cpu.generatorWaitPercent,
      error: summary.ok ? undefined : JSON.stringify({ problems: summary.problems, verification: summary.verification }),
    };
  },
};

/** mqbench: built once per run into a temporary folder (set MQBENCH to use a binary). */
export const mqbenchGenerator = {
  name: 'mqbench',
  binary: process.env.MQBENCH,
  unavailable() {
    if (this.binary && existsSync(this.binary)) return undefined;
    if (!existsSync(MQBENCH_SOURCE)) return `no mqbench: set MQBENCH or provide ${MQBENCH_SOURCE}`;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'midge-mqbench-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      const out = join(dir, 'mqbench');
      execFileSync('cc', ['-O2', '-o', out, MQBENCH_SOURCE], { stdio: 'pipe' });
      this.binary = out;
      return undefined;
    } catch (e) {
      return `could not build mqbench: ${e.message}`;
    }
  },
  async run(scenario, ctx) {
    if (!scenario.mqbench) return { ok: false, error: 'mqbench has no such scenario' };
    const timing = scenario.holds ? [] : ['-d', String(ctx.durationS), '-w', String(warmupFor(scenario, ctx))];
    const args = [...scenario.mqbench(ctx), '-p', String(ctx.loadPort ?? ctx.port), '--pid', String(ctx.pid), ...timing];
    const result = await run(pinned(ctx.genCpu, [this.binary, ...args]), ctx.timeoutMs);
    const line = result.stdout.trim().split('\n').pop() ?? '';
    const kv = Object.fromEntries(line.split(' ').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    if (!('ok' in kv)) return { ok: false, error: `mqbench gave no result (exit ${result.code}): ${result.stderr.trim()}` };
    return {
      ok: kv.ok === '1',
      figures: scenario.fromMqbench(kv),
      lost: kv.lost === undefined ? undefined : Number(kv.lost),
      genCpu: Number(kv.gen_cpu_pct),
      brokerCpu: Number(kv.broker_cpu_pct),
      error: kv.ok === '1' ? undefined : line,
    };
  },
};

export const generators = { midge: midgeGenerator, mqbench: mqbenchGenerator };
