/**
 * Runs the steps of docs/tour.md as a reader would: commands in a shell in one
 * working directory, `midge` on the PATH, background commands in "terminals" of
 * their own, each a process group the runner signals by id. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { outputMatches, type PortMap } from './tour-match.js';
import type { ExpectStep, RunStep, SignalStep, StartStep, TourStep } from './tour-markdown.js';

/** Where and how commands run. */
export interface TourEnvironment {
  /** The reader's working directory. */
  cwd: string;
  /** Environment of every command: PATH with `midge` first, the hook's variables. */
  env: NodeJS.ProcessEnv;
  ports: PortMap;
  /** Bound on any one wait, in ms. */
  timeoutMs: number;
}

/** A background command: its output, what of it the tour has shown, its readiness events. */
interface Terminal {
  name: string;
  child: ChildProcess;
  output: string;
  shown: number;
  events: string;
  anyOutput: boolean;
  /** Resolves with the exit status once the command and everything it started have let go of the terminal. */
  closed: Promise<number | null>;
  ended: boolean;
}

const POLL_MS = 20;

/** Spawns `sh -e -c SCRIPT` with stderr joined to stdout (as a terminal shows them) in its own process group. */
function shell(script: string, env: TourEnvironment, background: boolean): ChildProcess {
  const extra = background ? { TOUR_MIDGE_READY_FD: '3' } : {};
  return spawn('/bin/sh', ['-e', '-c', `exec 2>&1\n${env.ports.forTest(script)}`], {
    cwd: env.cwd,
    env: { ...env.env, ...extra },
    stdio: background ? ['ignore', 'pipe', 'ignore', 'pipe'] : ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
}

function collect(stream: Readable | null | undefined, into: (text: string) => void): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (text: string) => into(text));
}

/** Resolves when `check` holds, polling; rejects with `explain()` after the bound. */
async function until(check: () => boolean, timeoutMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(explain());
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Runs a tour; `stopAll` ends whatever a failed run left behind. */
export class TourRunner {
  private readonly terminals = new Map<string, Terminal>();

  constructor(private readonly env: TourEnvironment) {}

  async run(step: TourStep): Promise<void> {
    switch (step.kind) {
      case 'run': return this.runCommand(step);
      case 'start': return this.start(step);
      case 'expect': return this.expect(step);
      case 'stop': case 'kill': case 'wait': return this.signal(step);
    }
  }

  /** The names of terminals still running. */
  running(): string[] {
    return [...this.terminals.values()].filter((t) => !t.ended).map((t) => t.name);
  }

  /** SIGKILLs every terminal's process group that is still there and waits for them. */
  async stopAll(): Promise<void> {
    for (const t of this.terminals.values()) this.kill(t, 'SIGKILL');
    await Promise.all([...this.terminals.values()].map((t) => t.closed));
    this.terminals.clear();
  }

  private async runCommand(step: RunStep): Promise<void> {
    const child = shell(step.script, this.env, false);
    let output = '';
    collect(child.stdout, (text) => { output += text; });
    const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let code: number | null | undefined;
    void closed.then((c) => { code = c; });
    try {
      await until(() => code !== undefined, this.env.timeoutMs, () => `tour.md:${step.line}: the command did not finish; it printed:\n${output}`);
    } finally {
      if (code === undefined) {
        this.killGroup(child, 'SIGKILL');
        await closed;
      }
    }
    const shown = this.env.ports.forTour(output);
    assert.equal(code, step.exit, `tour.md:${step.line}: exit status; it printed:\n${shown}`);
    if (step.expected !== undefined && !outputMatches(step.expected, shown)) {
      assert.fail(`tour.md:${step.line}: the output differs from the tour.\n--- tour shows:\n${step.expected}\n--- the command printed:\n${shown}`);
    }
  }

  private async start(step: StartStep): Promise<void> {
    assert.ok(!this.running().includes(step.terminal), `tour.md:${step.line}: terminal ${step.terminal} is still running`);
    const child = shell(step.script, this.env, true);
    const terminal: Terminal = {
      name: step.terminal, child, output: '', shown: 0, events: '', anyOutput: step.anyOutput, ended: false,
      closed: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    };
    void terminal.closed.then(() => { terminal.ended = true; });
    collect(child.stdout, (text) => { terminal.output += text; });
    collect(child.stdio[3] as Readable | null, (text) => { terminal.events += text; });
    this.terminals.set(step.terminal, terminal);
    const ready = step.ready === 'listening'
      ? () => / listen socket on /.test(terminal.output)
      : () => terminal.events.split('\n').includes(step.ready);
    await until(() => ready() || terminal.ended, this.env.timeoutMs, () => `tour.md:${step.line}: terminal ${step.terminal} was not ${step.ready}; it printed:\n${terminal.output}`);
    assert.ok(ready(), `tour.md:${step.line}: terminal ${step.terminal} exited before it was ${step.ready}; it printed:\n${terminal.output}`);
  }

  private async expect(step: ExpectStep): Promise<void> {
    const t = this.terminal(step.terminal, step.line);
    const fresh = (): string => this.env.ports.forTour(t.output.slice(t.shown));
    await until(() => outputMatches(step.expected, fresh()), this.env.timeoutMs,
      () => `tour.md:${step.line}: terminal ${step.terminal} does not show what the tour does.\n--- tour shows:\n${step.expected}\n--- the terminal printed:\n${fresh()}`);
    t.shown = t.output.length;
  }

  private async signal(step: SignalStep): Promise<void> {
    const t = this.terminal(step.terminal, step.line);
    if (step.kind !== 'wait') this.kill(t, step.kind === 'stop' ? 'SIGINT' : 'SIGKILL');
    let code: number | null | undefined;
    void t.closed.then((c) => { code = c; });
    await until(() => code !== undefined, this.env.timeoutMs, () => `tour.md:${step.line}: terminal ${step.terminal} did not end; it printed:\n${t.output}`);
    if (step.kind === 'wait') assert.equal(code, step.exit, `tour.md:${step.line}: exit status of terminal ${step.terminal}; it printed:\n${t.output}`);
    const unshown = this.env.ports.forTour(t.output.slice(t.shown));
    if (!t.anyOutput) assert.equal(unshown.trim(), '', `tour.md:${step.line}: terminal ${step.terminal} printed what the tour does not show`);
    this.terminals.delete(step.terminal);
  }

  private terminal(name: string, line: number): Terminal {
    const t = this.terminals.get(name);
    assert.ok(t, `tour.md:${line}: no terminal ${name} was started`);
    return t;
  }

  private kill(t: Terminal, signal: NodeJS.Signals): void {
    if (!t.ended) this.killGroup(t.child, signal);
  }

  /** Signals the process group this runner started (`detached` made the shell its leader). */
  private killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  }
}
