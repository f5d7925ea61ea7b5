// The brokers `npm run bench` measures: how to start each on a port, how to tell its
// version, and how to wait until it answers MQTT. Add a broker by adding an entry.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
export const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';
export const MIDGE_CLI = join(root, 'dist/cli/main.js');

/**
 * @typedef {object} BrokerSpec
 * @property {string} name
 * @property {string[]} [scenarios]  the only scenarios it can run (default: all)
 * @property {() => string | undefined} unavailable  why it cannot run here, or undefined
 * @property {() => string} version
 * @property {(port: number, dir: string, extra: string[]) => { command: string[], env?: Record<string, string> }} command
 *   extra: per-scenario arguments (mosquitto: extra configuration lines)
 */

/** @type {Record<string, BrokerSpec>} */
export const brokers = {
  midge: {
    name: 'midge',
    unavailable: () => (existsSync(MIDGE_CLI) ? undefined : `${MIDGE_CLI} is missing (npm run build)`),
    version: () => {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      let commit = '';
      try {
        commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
      } catch { /* not a git checkout */ }
      return commit ? `${pkg.version} (${commit})` : pkg.version;
    },
    // In memory, like the Aedes server and Mosquitto with persistence off.
    command: (port, _dir, extra) => ({
      command: [process.execPath, MIDGE_CLI, 'broker', '--host', '127.0.0.1', '--port', String(port),
        '--no-persistence', '--log-level', 'warn', ...extra],
    }),
  },
  // Another build of midge, for before/after figures in one run: MIDGE_BASE=/path/to/checkout
  // (built), then --brokers midge,midge-base,... The table shows midge/midge-base.
  'midge-base': {
    name: 'midge-base',
    unavailable: () => (process.env.MIDGE_BASE && existsSync(join(process.env.MIDGE_BASE, 'dist/cli/main.js'))
      ? undefined : 'set MIDGE_BASE to a built midge checkout to compare with'),
    version: () => {
      try {
        return execFileSync('git', ['-C', process.env.MIDGE_BASE, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
      } catch {
        return '?';
      }
    },
    command: (port, _dir, extra) => ({
      command: [process.execPath, join(process.env.MIDGE_BASE, 'dist/cli/main.js'), 'broker', '--host', '127.0.0.1', '--port', String(port),
        '--no-persistence', '--log-level', 'warn', ...extra],
    }),
  },
  aedes: {
    name: 'aedes',
    unavailable: () => (existsSync(join(root, 'node_modules/aedes/package.json')) ? undefined : 'npm package aedes is not installed'),
    version: () => JSON.parse(readFileSync(join(root, 'node_modules/aedes/package.json'), 'utf8')).version,
    command: (port, _dir, extra) => ({
      command: [process.execPath, join(root, 'scripts/bench/aedes-server.mjs'), ...extra],
      env: { PORT: String(port), HOST: '127.0.0.1' },
    }),
  },
  // Bare node:net/node:tls servers answering CONNECT with CONNACK: the floor of any Node
  // broker in the connection scenarios (conns, tls-conns, tls-conns-cert), which only it runs.
  'node-floor': {
    name: 'node-floor',
    scenarios: ['conns', 'tls-conns', 'tls-conns-cert'],
    unavailable: () => undefined,
    version: () => process.version,
    command: (port) => ({
      command: [process.execPath, join(root, 'scripts/bench/node-floor-server.mjs')],
      env: { PORT: String(port), HOST: '127.0.0.1' },
    }),
  },
  mosquitto: {
    name: 'mosquitto',
    unavailable: () => (existsSync(MOSQUITTO) ? undefined : `${MOSQUITTO} is not installed (Debian package mosquitto)`),
    version: () => {
      try {
        const out = execFileSync(MOSQUITTO, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return /version (\S+)/.exec(out)?.[1] ?? '?';
      } catch (e) {
        // `mosquitto -h` exits with status 3 after printing its usage.
        return /version (\S+)/.exec(String(e.stdout ?? ''))?.[1] ?? '?';
      }
    },
    // Defaults otherwise (as mqbench's compare.sh runs it): logging cut to errors and warnings.
    command: (port, dir, extra) => {
      const conf = join(dir, `mosquitto-${port}.conf`);
      writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
        'log_dest stderr', 'log_type error', 'log_type warning', ...extra, ''].join('\n'));
      return { command: [MOSQUITTO, '-c', conf] };
    },
  },
};

/**
 * The command run with its soft limit on open files raised to the hard limit (where the
 * shell may): the connection scenarios need one descriptor per connection on each side.
 */
export function withFdLimit(argv) {
  return ['sh', '-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...argv];
}

/** The number of files a process started with {@link withFdLimit} may open. */
export function fdLimit() {
  const out = execFileSync('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Infinity : Number(out);
}

/** Resolves true when an MQTT CONNECT on the port is answered by a CONNACK within `timeoutMs`. */
export function probe(port, connectPacket, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok) => { clearTimeout(timer); socket.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write(connectPacket));
    socket.on('data', (d) => done(d[0] === 0x20 && d[3] === 0));
    socket.on('error', () => done(false));
  });
}

/**
 * A broker process started for one run, pinned with taskset when `cpu` is given.
 * `stop()` ends it by pid: SIGTERM, then SIGKILL after five seconds.
 */
export async function startBroker(spec, { port, dir, extra = [], extraEnv = {}, cpu, connectPacket, readyTimeoutMs = 30_000 }) {
  const { command, env } = spec.command(port, dir, extra);
  const argv = withFdLimit(cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command]);
  const child = spawn(argv[0], argv.slice(1), {
    cwd: dir, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let alive = true;
  exited.then(() => { alive = false; });
  const stop = async () => {
    if (!alive) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (alive) child.kill('SIGKILL'); }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (!alive) throw new Error(`${spec.name} exited during start-up: ${stderr.trim()}`);
    if (await probe(port, connectPacket)) {
      if (alive) return { pid: child.pid, stop, stderr: () => stderr };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${spec.name} did not accept MQTT connections on port ${port} within ${readyTimeoutMs} ms`);
}
