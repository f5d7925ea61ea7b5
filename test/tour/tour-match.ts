/**
 * Matches what a command printed against what the tour shows: line by line, trailing
 * blanks ignored, `<words>` matching any text within a line and a line `...` any
 * number of lines. Also the port substitution that lets the tour say 1883 while the
 * test listens on free ports.
 */

const PLACEHOLDER = /<[a-z][a-z0-9 -]*>/g;
const ELISION = '...';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One expected line as a regular expression (placeholders are lazy, non-empty). */
function linePattern(line: string): RegExp {
  const parts = line.split(PLACEHOLDER).map(escapeRegExp);
  return new RegExp(`^${parts.join('.+?')}$`);
}

function lines(text: string): string[] {
  const all = text.split('\n').map((l) => l.trimEnd());
  while (all.length > 0 && all.at(-1) === '') all.pop();
  return all;
}

/** True when `actual` is what `expected` shows. */
export function outputMatches(expected: string, actual: string): boolean {
  const want = lines(expected).map((l) => (l === ELISION ? undefined : linePattern(l)));
  const got = lines(actual);
  // Dynamic programming over (expected line, actual line): `...` may take any run of lines.
  let reachable = new Set<number>([0]);
  for (const pattern of want) {
    const next = new Set<number>();
    for (const at of reachable) {
      if (pattern === undefined) {
        for (let k = at; k <= got.length; k++) next.add(k);
      } else if (at < got.length && pattern.test(got[at]!)) {
        next.add(at + 1);
      }
    }
    reachable = next;
    if (reachable.size === 0) return false;
  }
  return reachable.has(got.length);
}

/** Maps the tour's ports to the test's and back. */
export class PortMap {
  private readonly toTest: ReadonlyMap<number, number>;
  private readonly toTour: ReadonlyMap<number, number>;

  constructor(ports: ReadonlyMap<number, number>) {
    this.toTest = ports;
    this.toTour = new Map([...ports].map(([tour, test]) => [test, tour]));
  }

  /** The command as run: the tour's port numbers replaced by the test's. */
  forTest(text: string): string {
    return this.replace(text, this.toTest);
  }

  /** The output as the tour shows it: the test's port numbers replaced by the tour's. */
  forTour(text: string): string {
    return this.replace(text, this.toTour);
  }

  /** The test's port for a port the tour names. */
  port(tourPort: number): number {
    const port = this.toTest.get(tourPort);
    if (port === undefined) throw new Error(`the tour uses port ${tourPort}, which the test does not map`);
    return port;
  }

  private replace(text: string, map: ReadonlyMap<number, number>): string {
    const pattern = new RegExp(`\\b(${[...map.keys()].join('|')})\\b`, 'g');
    return text.replace(pattern, (p) => String(map.get(Number(p))));
  }
}
