import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * mosquitto's `pid_file`: the process id written once the broker listens, removed
 * when the process exits (whatever the way, short of SIGKILL). A file another process
 * has rewritten since is left alone.
 */
export function writePidFile(path: string): void {
  const pid = String(process.pid);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${pid}\n`);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`unable to write pid file "${path}" (${why}): check pid_file and that midge may write there`);
  }
  process.once('exit', () => {
    try {
      if (readFileSync(path, 'utf8').trim() === pid) rmSync(path, { force: true });
    } catch {
      // Already gone: nothing to remove.
    }
  });
}
