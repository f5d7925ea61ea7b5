#!/usr/bin/env node
// `npm run bench`: the scenarios of scripts/bench/scenarios.mjs against midge, Aedes and
// Mosquitto, one broker after another, broker and generator pinned to different cores,
// medians of several runs, a table with ratios, and the results written into
// docs/benchmarks.md (between markers). Run after the build: it uses dist/.
//   npm run bench -- --help
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brokers, fdLimit, startBroker } from './bench/brokers.mjs';
import { freePort } from './bench/ports.mjs';
import { generators } from './bench/generators.mjs';
import { cpuLines, generatorTable, resultTable, writeSection } from './bench/report.mjs';
import { scenarios } from './bench/scenarios.mjs';

const root = new URL('..', import.meta.url).pathname;
const HELP = `usage: npm run bench -- [options]

  --quick                 a smoke run: 1 run, 2 s measured, 0.5 s warm-up, 1,000 connections
  --runs N                runs per scenario, broker and generator (3)
  --duration S            measured seconds per run (10)
  --warmup S              warm-up seconds per run (2)
  --conns N               connections of the conns scenario (10000)
  --hold S                seconds the conns scenario holds them (5)
  --fleet N               devices of the fleet and reconnect-storm scenarios (10000; fewer when
                          the limit on open files is lower: the run says what it used)
  --scenarios a,b         subset, in order (${scenarios.map((s) => s.name).join(',')})
  --brokers a,b           subset, in order (midge,aedes,mosquitto; node-floor: bare Node servers answering
                          CONNECT with CONNACK, connection scenarios only; midge-base with MIDGE_BASE=a built
                          checkout of another midge, for before/after in one run)
  --generators a,b        midge (midge bench, the default) and/or mqbench (set MQBENCH or have
                          ../shared/tools/mqbench/mqbench.c); with both, a cross-check table
  --workers N             midge bench worker threads (1: the generator has one core, and
                          threads sharing a core only add wake-ups between them)
  --broker-cpu N          CPU the broker is pinned to (1)
  --gen-cpu N             CPU the generator is pinned to (0)
  --no-pin                do not pin with taskset
  --write / --no-write    rewrite docs/benchmarks.md (default: yes, except with --quick)
  --help`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, runs: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
      conns: { type: 'string' }, fleet: { type: 'string' }, hold: { type: 'string' }, scenarios: { type: 'string' }, brokers: { type: 'string' },
      generators: { type: 'string' }, workers: { type: 'string' }, 'broker-cpu': { type: 'string' },
      'gen-cpu': { type: 'string' }, 'no-pin': { type: 'boolean' }, write: { type: 'boolean' }, 'no-write': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) { console.log(HELP); process.exit(0); }
  const quick = values.quick ?? false;
  const num = (v, d) => (v === undefined ? d : Number(v));
  const list = (v, all) => (v === undefined ? all : v.split(',').map((x) => x.trim()).filter(Boolean));
  const pin = !values['no-pin'];
  return {
    quick,
    runs: num(values.runs, quick ? 1 : 3),
    durationS: num(values.duration, quick ? 2 : 10),
    warmupS: num(values.warmup, quick ? 0.5 : 2),
    conns: num(values.conns, quick ? 1000 : 10_000),
    fleet: num(values.fleet, quick ? 1000 : 10_000),
    hold: num(values.hold, quick ? 1 : 5),
    scenarios: list(values.scenarios, scenarios.map((s) => s.name)),
    brokers: list(values.brokers, ['midge', 'aedes', 'mosquitto']),
    generators: list(values.generators, ['midge']),
    workers: num(values.workers, 1),
    brokerCpu: pin ? num(values['broker-cpu'], 1) : undefined,
    genCpu: pin ? num(values['gen-cpu'], 0) : undefined,
    write: values['no-write'] ? false : (values.write ?? !quick),
  };
}

const log = (line) => process.stderr.write(`[bench] ${line}\n`);

/** Keeps what can run here; says why the rest cannot. */
function usable(names, table, what) {
  return names.filter((name) => {
    const entry = table[name];
    if (!entry) throw new Error(`unknown ${what} ${name}`);
    const why = entry.unavailable();
    if (why) log(`skipping ${what} ${name}: ${why}`);
    return !why;
  });
}

/**
 * The limit on open files (raised to the hard limit for broker and generator): a conns or
 * fleet run needs one descriptor per connection on each side, plus some.
 */
function fitConnections(wanted, what) {
  const limit = fdLimit();
  if (!Number.isFinite(limit) || wanted + 500 <= limit) return wanted;
  log(`the limit on open files is ${limit}: ${what} uses ${limit - 500} connections instead of ${wanted}`);
  return limit - 500;
}

async function probePacket() {
  const { encodePacket } = await import(join(root, 'dist/protocol/index.js'));
  return encodePacket({ type: 1, protocolName: 'MQTT', protocolVersion: 4, clean: true, keepAlive: 10, clientId: 'midge-bench-probe' }, 4);
}

/**
 * Seconds the main thread of a process spent runnable but waiting for a CPU: for a
 * broker pinned to its own core, time lost to other processes (or its own helper
 * threads, such as a Node broker's garbage collector).
 */
function waitSeconds(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return 0; // gone, or not Linux
  }
}

/** A scenario's extra broker arguments: a list, or a function of the run's context (after setup). */
function brokerArgsFor(scenario, brokerName, ctx) {
  // midge-base (another build of midge) runs every scenario the way midge does.
  const args = scenario.brokerArgs?.[brokerName] ?? (brokerName === 'midge-base' ? scenario.brokerArgs?.midge : undefined);
  return (typeof args === 'function' ? args(ctx) : args) ?? [];
}

/** One run of one scenario: a fresh broker, the generator, then the broker stopped. */
async function runOnce(scenario, brokerName, generatorName, o, dir, connectPacket) {
  const port = await freePort();
  const ctx = { port, durationS: o.durationS, warmupS: o.warmupS, conns: o.conns, hold: o.hold, fleet: o.fleet, dir, quick: o.quick,
    workers: o.workers, genCpu: o.genCpu, brokerCpu: o.brokerCpu, timeoutMs: (o.durationS + o.warmupS + o.hold + 180) * 1000 };
  let setup = {};
  let broker;
  try {
    setup = (await scenario.setup?.(ctx)) ?? {};
    ctx.subPort = setup.subPort;
    ctx.loadPort = setup.loadPort;
    broker = await startBroker(brokers[brokerName], {
      port, dir, extra: brokerArgsFor(scenario, brokerName, ctx), extraEnv: setup.env, cpu: o.brokerCpu, connectPacket,
    });
    ctx.pid = broker.pid;
    const before = { at: Date.now(), wait: waitSeconds(broker.pid) };
    const result = await generators[generatorName].run(scenario, ctx);
    // Over the whole generator run (warm-up and set-up included), the same way for every generator.
    result.brokerWait = Math.round((100 * (waitSeconds(broker.pid) - before.wait)) / ((Date.now() - before.at) / 1000));
    return result;
  } catch (e) {
    return { ok: false, error: e.message };
  } finally {
    await broker?.stop();
    await setup.cleanup?.();
  }
}

function describe(result, scenario) {
  if (!result.figures) return `failed: ${result.error}`;
  const figures = scenario.figures.map((f) => `${f.key} ${Math.round(result.figures[f.key] ?? NaN)}`).join(', ');
  // The rate per second of broker CPU shows a run that was slow for the broker's own
  // sake (more CPU per message) apart from one that got less of the CPU.
  const perCpu = result.figures.rate && result.brokerCpu > 0 ? `, ${Math.round((100 * result.figures.rate) / result.brokerCpu)} per broker CPU-second` : '';
  return `${figures}${perCpu} (cpu broker ${result.brokerCpu ?? '-'}%, waited ${result.brokerWait ?? '-'}%; generator ${result.genCpu ?? '-'}%)${result.ok ? '' : ` NOT OK ${result.error ?? ''}`}`;
}

/** Whether broker `name` takes part in scenario `s` (the scenario's list and the broker's both allow it). */
function runsScenario(s, name) {
  const spec = brokers[name];
  return (!s.brokers || s.brokers.includes(name === 'midge-base' ? 'midge' : name)) && (!spec.scenarios || spec.scenarios.includes(s.name));
}

/** Runs are interleaved (run 1 of everything, then run 2...) so drifts in load hit every broker alike. */
async function measureAll(o, chosen, brokerNames, generatorNames) {
  const dir = mkdtempSync(join(tmpdir(), 'midge-bench-'));
  const connectPacket = await probePacket();
  const results = {};
  try {
    for (let r = 1; r <= o.runs; r++) {
      for (const s of chosen) {
        for (const b of brokerNames.filter((name) => runsScenario(s, name))) {
          for (const g of generatorNames) {
            const result = await runOnce(s, b, g, o, dir, connectPacket);
            ((results[s.name] ??= {})[g] ??= {})[b] ??= [];
            results[s.name][g][b].push(result);
            log(`run ${r}/${o.runs} ${s.name} ${b} (${g}): ${describe(result, s)}`);
            await new Promise((done) => setTimeout(done, 1000));
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function machine(brokerNames) {
  const versions = { node: process.version };
  for (const b of brokerNames) versions[b] = brokers[b].version();
  return {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: availableParallelism(),
    kernel: release(),
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
    versions,
  };
}

function section(o, results, chosen, brokerNames, generatorNames, m, started, minutes) {
  const primary = generatorNames[0];
  const parts = [
    `Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC in ${minutes.toFixed(1)} min.`,
    '',
    `- **Machine:** ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}; load average before the run ${m.load}.`,
    `- **Versions:** Node ${m.versions.node}; ${brokerNames.map((b) => `${b} ${m.versions[b]}`).join('; ')}.`,
    `- **Placement:** ${o.brokerCpu === undefined ? 'not pinned' : `broker on CPU ${o.brokerCpu}, generator on CPU ${o.genCpu}`} (taskset); generator ${primary === 'midge' ? `\`midge bench\` with ${o.workers} worker thread${o.workers === 1 ? '' : 's'}` : primary}.`,
    `- **Runs:** ${o.runs} per scenario and broker, each with a fresh broker process; ${o.durationS} s measured after ${o.warmupS} s of warm-up; 64-byte payloads (fanin-16k: 16 KB, burst: 1 KB); conns: ${o.conns.toLocaleString('en-US')} connections held ${o.hold} s (tls-conns: a fifth of that); fleet and reconnect-storm: ${o.fleet.toLocaleString('en-US')} devices (fleet measured after at least 10 s of warm-up: two rounds of every device's message).${o.quick ? ' A quick (smoke) run: too short to quote.' : ''}`,
    '',
    resultTable(results, chosen, brokerNames, primary, o.runs > 1),
    '',
    `Medians${o.runs > 1 ? ' (min–max over runs)' : ''}, each rate with the messages lost in all runs together (sent and never received by a subscriber). \`!\`: a run failed its checks (loss at QoS 1, reordering, duplicates, failed connections); \`*\`: the generator used more than 80 % of its core, so the rate is a lower bound; \`~\`: the broker's main thread waited for a CPU more than 10 % of the time (other load on the machine, or the broker's own helper threads), so the figure may understate it. Latency is from the scheduled send time to receipt.`,
    '',
    'CPU during the measured window (conns: while connecting), median % of one core, broker/generator, and how long the broker waited for a CPU during the whole run:',
    '',
    cpuLines(results, chosen, brokerNames, primary),
  ];
  if (generatorNames.length > 1) {
    parts.push('', 'Generator cross-check (the same scenarios driven by both generators). Capacity: the rate each generator could drive at 100 % of its core (rate × 100 / its CPU %); a generator is not the limit where its capacity is well above the broker\'s rate:', '',
      generatorTable(results, chosen, brokerNames, generatorNames, generatorNames.map((g) => generators[g].name)));
  }
  return parts.join('\n');
}

async function main() {
  const o = options();
  const chosen = o.scenarios.map((name) => scenarios.find((s) => s.name === name) ?? (() => { throw new Error(`unknown scenario ${name}`); })());
  const brokerNames = usable(o.brokers, brokers, 'broker');
  const generatorNames = usable(o.generators, generators, 'generator');
  if (brokerNames.length === 0 || generatorNames.length === 0) throw new Error('nothing to run');
  if (chosen.some((s) => s.name === 'conns')) o.conns = fitConnections(o.conns, 'the conns scenario');
  if (chosen.some((s) => s.name === 'fleet' || s.name === 'reconnect-storm')) o.fleet = fitConnections(o.fleet, 'the fleet');
  const m = machine(brokerNames);
  const started = new Date();
  log(`${chosen.map((s) => s.name).join(', ')} on ${brokerNames.join(', ')} with ${generatorNames.join(', ')}, ${o.runs} run(s) each`);
  const results = await measureAll(o, chosen, brokerNames, generatorNames);
  const minutes = (Date.now() - started.getTime()) / 60_000;
  const text = section(o, results, chosen, brokerNames, generatorNames, m, started, minutes);
  process.stdout.write(`\n${text}\n`);
  mkdirSync(join(root, '.bench'), { recursive: true });
  const raw = join(root, '.bench', `results-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(raw, JSON.stringify({ options: o, machine: m, results }, null, 2));
  log(`raw results: ${raw}`);
  if (o.write) {
    writeSection(join(root, 'docs/benchmarks.md'), text);
    log('docs/benchmarks.md updated');
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
