import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { runBench } from './cli.js';
import { ISSUE_19, RealLoadBench } from './real-load.js';

/**
 * Smoke tests of the TLS scenarios issue 19 added to `npm run bench`, at tiny sizes: each runs
 * against midge's TLS and TLS-with-client-certificate listeners, verifies its messages and
 * reports every figure. Timings stay in the benchmark.
 */
describe('the TLS scenarios of npm run bench', () => {
  const bench = new RealLoadBench();
  before(() => bench.start());
  after(() => bench.stop());

  it('has every scenario of issue 19', () => {
    assert.deepEqual(ISSUE_19.filter((name) => !bench.scenarios.some((s) => s.name === name)), []);
  });

  for (const name of ['tls-fanin', 'tls-qos1', 'tls12-qos1', 'tls-conns', 'tls-conns-cert']) {
    it(`runs ${name} against midge, loses nothing and reports every figure`, () => bench.runAgainstMidge(name));
  }

  it('configures Mosquitto for TLS with client certificates the way its tls-conns-cert run needs', async () => {
    const scenario = bench.scenario('tls-conns-cert');
    const ctx = bench.context(scenario);
    ctx.secure!.loadPort = await freePort();
    let mosquitto: RunningBroker | undefined;
    try {
      mosquitto = await startMosquitto(scenario.brokerArgs!.mosquitto!(ctx).join('\n'));
      const { code, summary } = await runBench([...scenario.midge(ctx), '-p', String(ctx.secure!.loadPort), '-d', '0.2', '-w', '1'], 60_000);
      assert.equal(code, 0, JSON.stringify(summary));
      assert.equal(summary.connections.connected, 20);
    } finally {
      await mosquitto?.stop();
    }
  });

  it('answers every handshake of tls-conns from the node-floor server, the floor the bench compares midge with', async () => {
    const scenario = bench.scenario('tls-conns');
    const ctx = bench.context(scenario);
    const [port, tlsPort] = [await freePort(), await freePort()];
    const { certs } = ctx.secure!;
    const floor = spawn(process.execPath, [new URL('../../scripts/bench/node-floor-server.mjs', import.meta.url).pathname], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', TLS_PORT: String(tlsPort), TLS_CERT: certs.cert, TLS_KEY: certs.key },
      stdio: 'ignore',
    });
    try {
      await waitForPort(tlsPort);
      const { code, summary } = await runBench([...scenario.midge(ctx), '-p', String(tlsPort), '-d', '0.2', '-w', '1'], 60_000);
      assert.equal(code, 0, JSON.stringify(summary));
      assert.equal(summary.connections.connected, 20);
    } finally {
      floor.kill('SIGTERM');
      if (floor.exitCode === null) await once(floor, 'exit');
    }
  });
});
