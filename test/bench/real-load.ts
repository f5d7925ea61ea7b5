import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';
import { runBench } from './cli.js';

export type SecureKind = 'tls' | 'tls-cert' | 'ws';
export interface Certs { ca: string; cert: string; key: string; clientCert: string; clientKey: string }
export interface Ctx { dir: string; conns: number; fleet: number; secure?: { kind: SecureKind; certs: Certs; loadPort: number } }

/** What a scenario of scripts/bench/scenarios.mjs gives `midge bench` and takes from its summary. */
export interface Scenario {
  name: string;
  secure?: SecureKind;
  figures: Array<{ key: string }>;
  midge(ctx: Ctx): string[];
  fromMidge(summary: unknown): Record<string, number | undefined>;
  brokerArgs?: { mosquitto?: (ctx: Ctx) => string[] };
}

interface SecureHelpers {
  benchCertificates(dir: string): Certs;
}

/** The scenarios issue 19 added to `npm run bench`. */
export const ISSUE_19 = ['tls-fanin', 'tls-qos1', 'tls12-qos1', 'tls-conns', 'tls-conns-cert', 'ws-fanin', 'fleet', 'reconnect-storm'];

/**
 * A midge with a plain, a TLS, a TLS-with-required-client-certificate and a WebSocket
 * listener, certificates made with openssl as the bench makes them, and the bench's scenarios.
 */
export class RealLoadBench {
  scenarios: Scenario[] = [];
  midge: SpawnedMidge | undefined;
  private dir = '';
  private certs: Certs | undefined;
  private readonly ports: Record<SecureKind, number> = { 'tls': 0, 'tls-cert': 0, 'ws': 0 };

  async start(): Promise<void> {
    // Paths in variables: the scripts are plain JavaScript without type declarations.
    const script = new URL('../../scripts/bench/scenarios.mjs', import.meta.url).href;
    const helpers = new URL('../../scripts/bench/secure.mjs', import.meta.url).href;
    this.scenarios = ((await import(script)) as { scenarios: Scenario[] }).scenarios;
    this.dir = mkdtempSync(join(tmpdir(), 'midge-bench-real-'));
    const certs = ((await import(helpers)) as SecureHelpers).benchCertificates(this.dir);
    this.certs = certs;
    for (const kind of Object.keys(this.ports) as SecureKind[]) this.ports[kind] = await freePort();
    this.midge = await spawnMidge({
      args: ['--no-persistence'],
      placeholders: { tls: this.ports.tls, cert: this.ports['tls-cert'], ws: this.ports.ws },
      config: [
        'allow_anonymous true', 'listener {port} 127.0.0.1',
        'listener {tls} 127.0.0.1', `certfile ${certs.cert}`, `keyfile ${certs.key}`,
        'listener {cert} 127.0.0.1', `certfile ${certs.cert}`, `keyfile ${certs.key}`, `cafile ${certs.ca}`, 'require_certificate true',
        'listener {ws} 127.0.0.1', 'protocol websockets', '',
      ].join('\n'),
    });
  }

  async stop(): Promise<void> {
    await this.midge?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  scenario(name: string): Scenario {
    const found = this.scenarios.find((s) => s.name === name);
    assert.ok(found, `scenario ${name} exists`);
    return found;
  }

  /** The context the bench runner would give the scenario, at tiny sizes. */
  context(scenario: Scenario): Ctx {
    const ctx: Ctx = { dir: this.dir, conns: 100, fleet: 100 };
    if (scenario.secure) ctx.secure = { kind: scenario.secure, certs: this.certs!, loadPort: this.ports[scenario.secure] };
    return ctx;
  }

  /** Runs the scenario for half a second against midge; it must pass its checks and report every figure. */
  async runAgainstMidge(name: string): Promise<void> {
    const scenario = this.scenario(name);
    const ctx = this.context(scenario);
    const midge = this.midge!;
    const port = ctx.secure?.loadPort ?? midge.port;
    const { code, summary, stderr } = await runBench([...scenario.midge(ctx), '-p', String(port), '-d', '0.5', '--warmup', '0', '-w', '1',
      '--broker-pid', String(midge.child.pid)], 60_000);
    const s = summary as unknown as { ok: boolean; verification: { lost: number }; connections?: { connected: number } };
    assert.equal(code, 0, `${JSON.stringify(summary)} ${stderr}`);
    assert.equal(s.ok, true);
    if (name.includes('conns')) assert.equal(s.connections?.connected, 20, 'every TLS connection came up');
    else assert.equal(s.verification.lost, 0, 'no message lost');
    const figures = scenario.fromMidge(summary);
    for (const f of scenario.figures) assert.ok(Number.isFinite(figures[f.key]), `${f.key} is reported: ${JSON.stringify(figures)}`);
  }
}
