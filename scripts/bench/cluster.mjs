// Set-up of the cluster scenario: a redis-server and a second midge node on random ports,
// stopped by pid afterwards. The measured broker joins them through --cluster (its brokerArgs).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.mjs';

const REDIS = '/usr/bin/redis-server';
const root = new URL('../..', import.meta.url).pathname;

/**
 * Starts Redis (with `replica`, a replica of it too, for `--cluster-wait-replicas`) and node 2;
 * sets ctx.redisUrl; returns { subPort, cleanup } for the bench runner.
 */
export async function startClusterPeer(ctx, { replica = false } = {}) {
  const redisPort = await freePort();
  const redis = spawn(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(redisPort);
  const replicaPort = replica ? await freePort() : undefined;
  // A replica writes what it receives from its primary to disk (dump.rdb): in the run's directory.
  const replicaProcess = replica ? spawn(REDIS, ['--port', String(replicaPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', ctx.dir, '--replicaof', '127.0.0.1', String(redisPort)], { stdio: 'ignore' }) : undefined;
  if (replica) await waitForPort(replicaPort);
  ctx.redisUrl = `redis://127.0.0.1:${redisPort}`;
  const subPort = await freePort();
  // Node 2 shares the measured node's core: the scenario measures the cluster, both nodes included.
  const node2 = spawn('taskset', ['-c', String(ctx.brokerCpu ?? 1), process.execPath, join(root, 'dist/cli/main.js'), 'broker',
    '--host', '127.0.0.1', '--port', String(subPort), '--no-persistence', '--log-level', 'warn',
    '--cluster', ctx.redisUrl, '--cluster-node-id', 'bench-2', ...ctx.clusterArgs ?? []], { cwd: ctx.dir, stdio: 'ignore' });
  await waitForPort(subPort);
  return {
    subPort,
    async cleanup() {
      for (const child of [node2, replicaProcess, redis]) {
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        }
      }
    },
  };
}
