/**
 * Reads docs/tour.md into the steps a test runs. The conventions, which the tour
 * also states in a comment at its top:
 *
 * - ```` ```sh tour ```` runs in the reader's main terminal and must exit (status 0,
 *   or `exit=N`). The next fenced block, if it is a plain ```` ```text ````, is the
 *   output it must print (stdout and stderr as a terminal interleaves them); with no
 *   such block it must print nothing, unless marked `output=any`.
 * - ```` ```sh tour terminal=NAME ```` starts a command in another terminal and
 *   leaves it running. It is ready (the test goes on) once its client has its SUBACK
 *   (`ready=subscribed`, the default), its CONNACK (`ready=connected`), or, for a
 *   broker, once it logs that it is listening (`ready=listening`).
 * - ```` ```text terminal=NAME ```` is what that terminal prints from the last such
 *   block on (waited for, within a bound).
 * - `<!-- tour: stop NAME -->` is Ctrl-C in that terminal, `<!-- tour: kill NAME -->`
 *   kills it with SIGKILL, `<!-- tour: wait NAME -->` waits for it to exit by itself
 *   (status 0, or `exit=N`). Whatever a stopped terminal printed must have been shown,
 *   unless it was started with `output=any`.
 * - In expected output, `<words>` stands for any text within a line (a time, a
 *   process id) and a line `...` for any number of lines.
 * - ```` ```sh manual ```` is shown and not run (the tour says why).
 */

/** A command in the main terminal. */
export interface RunStep {
  kind: 'run';
  line: number;
  script: string;
  exit: number;
  /** Expected output; undefined when any output is fine. */
  expected: string | undefined;
}

/** A command started in another terminal. */
export interface StartStep {
  kind: 'start';
  line: number;
  terminal: string;
  script: string;
  ready: 'subscribed' | 'connected' | 'listening';
  /** What is left unshown when it stops need not be empty. */
  anyOutput: boolean;
}

/** Output a terminal must show from the previous check on. */
export interface ExpectStep {
  kind: 'expect';
  line: number;
  terminal: string;
  expected: string;
}

/** Ctrl-C, kill -9, or waiting for a terminal's command to finish. */
export interface SignalStep {
  kind: 'stop' | 'kill' | 'wait';
  line: number;
  terminal: string;
  exit: number;
}

export type TourStep = RunStep | StartStep | ExpectStep | SignalStep;

interface Block {
  line: number;
  language: string;
  attributes: Map<string, string>;
  words: Set<string>;
  body: string;
}

type Item = { kind: 'block'; block: Block } | { kind: 'directive'; line: number; words: string[] };

const FENCE = /^```(\S*)(.*)$/;
const DIRECTIVE = /^<!--\s*tour:\s*(.*?)\s*-->\s*$/;

/** Fenced blocks and tour directives, in document order. */
function scan(markdown: string): Item[] {
  const items: Item[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const directive = DIRECTIVE.exec(lines[i]!);
    if (directive) {
      items.push({ kind: 'directive', line: i + 1, words: directive[1]!.split(/\s+/) });
      continue;
    }
    const fence = FENCE.exec(lines[i]!);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`tour.md:${start + 1}: the fenced block is not closed`);
    const attributes = new Map<string, string>();
    const words = new Set<string>();
    for (const word of fence[2]!.trim().split(/\s+/).filter(Boolean)) {
      const eq = word.indexOf('=');
      if (eq > 0) attributes.set(word.slice(0, eq), word.slice(eq + 1));
      else words.add(word);
    }
    items.push({ kind: 'block', block: { line: start + 1, language: fence[1]!, attributes, words, body: body.join('\n') } });
  }
  return items;
}

function exitOf(value: string | undefined, where: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`${where}: exit=${value} is not an exit status`);
  return n;
}

/** Turns the tour into steps; throws with the line for anything that breaks the conventions. */
export function parseTour(markdown: string): TourStep[] {
  const items = scan(markdown);
  const steps: TourStep[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === 'directive') {
      steps.push(directiveStep(item.line, item.words));
      continue;
    }
    const b = item.block;
    const where = `tour.md:${b.line}`;
    const terminal = b.attributes.get('terminal');
    if (b.language === 'sh' || b.language === 'shell' || b.language === 'bash') {
      if (b.words.has('manual')) continue;
      if (!b.words.has('tour')) throw new Error(`${where}: a shell block is marked \`tour\` (run by the test) or \`manual\``);
      if (terminal !== undefined) {
        steps.push(startStep(b, terminal, where));
        continue;
      }
      const next = items[i + 1];
      const output = next?.kind === 'block' && next.block.language === 'text' && !next.block.attributes.has('terminal') ? next.block : undefined;
      const anyOutput = b.attributes.get('output') === 'any';
      if (output && anyOutput) throw new Error(`${where}: output=any and an expected output block`);
      if (output) i++;
      steps.push({ kind: 'run', line: b.line, script: b.body, exit: exitOf(b.attributes.get('exit'), where), expected: anyOutput ? undefined : (output?.body ?? '') });
    } else if (b.language === 'text' && terminal !== undefined) {
      steps.push({ kind: 'expect', line: b.line, terminal, expected: b.body });
    }
  }
  return steps;
}

function startStep(b: Block, terminal: string, where: string): StartStep {
  const ready = b.attributes.get('ready') ?? 'subscribed';
  if (ready !== 'subscribed' && ready !== 'connected' && ready !== 'listening') throw new Error(`${where}: unknown ready=${ready}`);
  return { kind: 'start', line: b.line, terminal, script: b.body, ready, anyOutput: b.attributes.get('output') === 'any' };
}

function directiveStep(line: number, words: string[]): SignalStep {
  const [verb, terminal, ...rest] = words;
  if ((verb !== 'stop' && verb !== 'kill' && verb !== 'wait') || !terminal) {
    throw new Error(`tour.md:${line}: a directive is \`<!-- tour: stop|kill|wait TERMINAL -->\``);
  }
  const exit = rest.find((w) => w.startsWith('exit='))?.slice('exit='.length);
  return { kind: verb, line, terminal, exit: exitOf(exit, `tour.md:${line}`) };
}
