import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';

/** A broker process started by a test. */
export interface RunningBroker {
  host: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Path of Debian's mosquitto broker. */
export const MOSQUITTO = '/usr/sbin/mosquitto';

/**
 * Starts Debian's mosquitto broker on a random loopback port. `extraConfig` is
 * appended to the generated config (after `listener PORT 127.0.0.1` and
 * `allow_anonymous true`).
 */
export async function startMosquitto(extraConfig = ''): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'midge-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n${extraConfig}\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    await waitForPort(port);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`mosquitto did not start: ${stderr || String(e)}`);
  }
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
