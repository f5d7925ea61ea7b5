import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { runBench } from './cli.js';

type SecureKind = 'tls' | 'tls-cert' | 'ws';
interface Certs { ca: string; cert: string; key: string; clientCert: string; clientKey: string }
interface Ctx { dir: string; conns: number; fleet: number; secure?: { kind: SecureKind; certs: Certs; loadPort: number } }

/** What a scenario of scripts/bench/scenarios.mjs gives `midge bench` and takes from its summary. */
interface Scenario {
  name: string;
  secure?: SecureKind;
  figures: Array<{ key: string }>;
  midge(ctx: Ctx): string[];
  fromMidge(summary: unknown): Record<string, number | undefined>;
  brokerArgs?: { mosquitto?: (ctx: Ctx) => string[] };
}

interface SecureHelpers {
  benchCertificates(dir: string): Certs;
  listenerLines(ctx: Ctx): string[];
}

const NEW = ['tls-fanin', 'tls-qos1', 'tls12-qos1', 'tls-conns', 'tls-conns-cert', 'ws-fanin', 'fleet', 'reconnect-storm'];

/**
 * Smoke tests of the real-world scenarios issue 19 added to `npm run bench`, at tiny sizes:
 * each runs against midge's TLS, TLS-with-client-certificate and WebSocket listeners
 * (certificates made with openssl as the bench makes them), verifies its messages and
 * reports every figure. Timings stay in the benchmark.
 */
describe('the TLS, WebSocket, fleet and reconnect-storm scenarios of npm run bench', () => {
  let midge: SpawnedMidge;
  let scenarios: Scenario[];
  let secure: SecureHelpers;
  let dir: string;
  const ports: Record<SecureKind, number> = { 'tls': 0, 'tls-cert': 0, 'ws': 0 };

  before(async () => {
    // Paths in variables: the scripts are plain JavaScript without type declarations.
    const script = new URL('../../scripts/bench/scenarios.mjs', import.meta.url).href;
    const helpers = new URL('../../scripts/bench/secure.mjs', import.meta.url).href;
    scenarios = ((await import(script)) as { scenarios: Scenario[] }).scenarios;
    secure = (await import(helpers)) as SecureHelpers;
    dir = mkdtempSync(join(tmpdir(), 'midge-bench-real-'));
    const certs = secure.benchCertificates(dir);
    for (const kind of Object.keys(ports) as SecureKind[]) ports[kind] = await freePort();
    midge = await spawnMidge({
      args: ['--no-persistence'],
      placeholders: { tls: ports.tls, cert: ports['tls-cert'], ws: ports.ws },
      config: [
        'allow_anonymous true', 'listener {port} 127.0.0.1',
        'listener {tls} 127.0.0.1', `certfile ${certs.cert}`, `keyfile ${certs.key}`,
        'listener {cert} 127.0.0.1', `certfile ${certs.cert}`, `keyfile ${certs.key}`, `cafile ${certs.ca}`, 'require_certificate true',
        'listener {ws} 127.0.0.1', 'protocol websockets', '',
      ].join('\n'),
    });
  });
  after(async () => {
    await midge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function context(scenario: Scenario): Ctx {
    const ctx: Ctx = { dir, conns: 100, fleet: 200 };
    if (scenario.secure) ctx.secure = { kind: scenario.secure, certs: secure.benchCertificates(dir), loadPort: ports[scenario.secure] };
    return ctx;
  }

  it('has every scenario of issue 19', () => {
    assert.deepEqual(NEW.filter((name) => !scenarios.some((s) => s.name === name)), []);
  });

  for (const name of NEW) {
    it(`runs ${name} against midge, loses nothing and reports every figure`, async () => {
      const scenario = scenarios.find((s) => s.name === name)!;
      const ctx = context(scenario);
      const port = ctx.secure?.loadPort ?? midge.port;
      const { code, summary, stderr } = await runBench([...scenario.midge(ctx), '-p', String(port), '-d', '1', '--warmup', '0', '-w', '1',
        '--broker-pid', String(midge.child.pid)], 60_000);
      const s = summary as unknown as { ok: boolean; verification: { lost: number }; connections?: { connected: number } };
      assert.equal(code, 0, `${JSON.stringify(summary)} ${stderr}`);
      assert.equal(s.ok, true);
      if (name.includes('conns')) assert.equal(s.connections?.connected, 100, 'every TLS connection came up');
      else assert.equal(s.verification.lost, 0, 'no message lost');
      const figures = scenario.fromMidge(summary);
      for (const f of scenario.figures) assert.ok(Number.isFinite(figures[f.key]), `${f.key} is reported: ${JSON.stringify(figures)}`);
    });
  }

  it('configures Mosquitto for TLS with client certificates the way its tls-conns-cert run needs', async () => {
    const scenario = scenarios.find((s) => s.name === 'tls-conns-cert')!;
    const ctx = context(scenario);
    ctx.secure!.loadPort = await freePort();
    let mosquitto: RunningBroker | undefined;
    try {
      mosquitto = await startMosquitto(scenario.brokerArgs!.mosquitto!(ctx).join('\n'));
      const { code, summary } = await runBench([...scenario.midge(ctx), '-p', String(ctx.secure!.loadPort), '-d', '0.2', '-w', '1'], 60_000);
      assert.equal(code, 0, JSON.stringify(summary));
      assert.equal(summary.connections.connected, 100);
    } finally {
      await mosquitto?.stop();
    }
  });
});
