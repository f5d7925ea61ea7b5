/**
 * docs/tour.md, run as written: every command of every section, against real
 * brokers it starts itself, on free loopback ports, checking the output it shows.
 * The conventions the markdown follows are in tour-markdown.ts (and at the top of
 * the tour). Sections run in order; after a failure the rest are skipped, since
 * each builds on the one before.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import ts from 'typescript';
import { CLI, ROOT } from '../helpers/midge.js';
import { freePort, freeUdpPort } from '../helpers/ports.js';
import { PortMap } from './tour-match.js';
import { parseTour, type TourStep } from './tour-markdown.js';
import { TourRunner } from './tour-runner.js';

const TOUR = join(ROOT, 'docs/tour.md');

/** The ports the tour names: MQTT, MQTT over TLS, TLS with client certificates, WebSocket (TCP), MQTT-SN (UDP). */
const TCP_PORTS = [1883, 8883, 8884, 8080] as const;
const UDP_PORT = 1884;

async function portMap(): Promise<PortMap> {
  const map = new Map<number, number>();
  for (const port of TCP_PORTS) {
    let free: number;
    do free = await freePort(); while ([...map.values()].includes(free));
    map.set(port, free);
  }
  map.set(UDP_PORT, await freeUdpPort());
  return new PortMap(map);
}

/**
 * A directory with `midge` on the PATH: a shell script that runs the built CLI with
 * the hook (cli-hook.ts, transpiled here) preloaded.
 */
function installMidge(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const source = readFileSync(join(ROOT, 'test/tour/cli-hook.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const hook = join(dir, 'cli-hook.mjs');
  writeFileSync(hook, js);
  const midge = join(bin, 'midge');
  writeFileSync(midge, `#!/bin/sh\nexec '${process.execPath}' --import '${pathToFileURL(hook).href}' '${CLI}' "$@"\n`);
  chmodSync(midge, 0o755);
  return bin;
}

/** The environment of the tour's commands: the caller's, without MIDGE_ settings that would change the broker, and text logs. */
function tourEnv(bin: string, ports: PortMap): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MIDGE_')) env[k] = v;
  env.PATH = `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  env.TOUR_MIDGE_PORTS = JSON.stringify(Object.fromEntries([...TCP_PORTS, UDP_PORT].map((p) => [String(p), ports.port(p)])));
  env.TOUR_MIDGE_DIST = pathToFileURL(join(ROOT, 'dist')).href;
  // The tour shows the broker as a terminal does: text lines, which a pipe would turn into JSON.
  env.MIDGE_LOG_FORMAT = 'text';
  return env;
}

/** The steps under each `##` heading, in order. */
function sections(markdown: string, steps: readonly TourStep[]): Array<{ title: string; steps: TourStep[] }> {
  const headings = markdown.split('\n').flatMap((l, i) => (l.startsWith('## ') ? [{ line: i + 1, title: l.slice(3).trim() }] : []));
  const out: Array<{ title: string; steps: TourStep[] }> = [];
  for (const step of steps) {
    const title = headings.filter((h) => h.line < step.line).at(-1)?.title ?? '(before the first section)';
    if (out.at(-1)?.title !== title) out.push({ title, steps: [] });
    out.at(-1)!.steps.push(step);
  }
  return out;
}

describe('docs/tour.md runs as written', () => {
  const markdown = readFileSync(TOUR, 'utf8');
  const steps = parseTour(markdown);
  const dir = mkdtempSync(join(tmpdir(), 'midge-tour-'));
  let runner: TourRunner | undefined;
  let failed = false;

  after(async () => {
    await runner?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the tour has commands in every section and the built CLI to run them', () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
    assert.ok(steps.filter((s) => s.kind === 'run' || s.kind === 'start').length >= 30, 'commands in the tour');
  });

  for (const section of sections(markdown, steps)) {
    test(`section "${section.title}"`, async (t) => {
      if (failed) return t.skip('an earlier section failed');
      try {
        if (!runner) {
          const ports = await portMap();
          const cwd = join(dir, 'work');
          mkdirSync(cwd);
          runner = new TourRunner({ cwd, env: tourEnv(installMidge(dir), ports), ports, timeoutMs: 15_000 });
        }
        for (const step of section.steps) await runner.run(step);
      } catch (err) {
        failed = true;
        throw err;
      }
    });
  }

  test('the tour leaves nothing running', (t) => {
    if (failed) return t.skip('an earlier section failed');
    assert.deepEqual(runner?.running() ?? [], []);
  });
});
