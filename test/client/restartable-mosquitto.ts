/**
 * A mosquitto that a test can stop, freeze, kill and start again on the same
 * port, optionally with persistence so that sessions survive the restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOSQUITTO } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';

/** A broker whose process can be replaced while clients keep its address. */
export interface RestartableMosquitto {
  port: number;
  /** Starts a process (again) on the same port and config. */
  start(): Promise<void>;
  /**
   * Asks mosquitto to write its persistence file (SIGUSR1) and waits until it
   * exists: mosquitto writes a `.new` file and renames it, so existing means complete.
   */
  save(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing is read or answered. */
  freeze(): void;
  /** Kills the process at once (SIGKILL), frozen or not, and waits for it to be gone. */
  kill(): Promise<void>;
  /** Stops the process cleanly (SIGTERM; mosquitto saves its persistence file). */
  stop(): Promise<void>;
  /** Kills whatever runs and deletes the directory. */
  dispose(): Promise<void>;
}

/** Creates the broker's directory and config (`extraConfig` appended); call start() to run it. */
export async function restartableMosquitto(persistent: boolean, extraConfig = ''): Promise<RestartableMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'midge-restart-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const dbFile = join(dir, 'mosquitto.db');
  writeFileSync(conf, [
    // Started as root, mosquitto would drop to its own user, who may not write here.
    'user root',
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    persistent ? `persistence true\npersistence_location ${dir}/\npersistence_file mosquitto.db` : 'persistence false',
    extraConfig,
    '',
  ].join('\n'));
  let child: ChildProcess | undefined;
  const running = (): boolean => !!child && child.exitCode === null && child.signalCode === null;
  const exit = async (signal: NodeJS.Signals): Promise<void> => {
    if (!child || !running()) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill(signal);
    await exited;
  };
  return {
    port,
    async start() {
      child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
      await waitForPort(port);
    },
    async save() {
      rmSync(dbFile, { force: true });
      child?.kill('SIGUSR1');
      const deadline = Date.now() + 5000;
      while (!existsSync(dbFile)) {
        if (Date.now() > deadline) throw new Error('mosquitto did not write its persistence file');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    kill: () => exit('SIGKILL'),
    stop: () => exit('SIGTERM'),
    async dispose() {
      await exit('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
