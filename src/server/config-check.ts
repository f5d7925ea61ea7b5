import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadScramUsers } from '../auth/scram/index.js';
import type { ListenerConfig, MidgeConfig } from '../config/index.js';
import { readTlsContext } from '../transport/index.js';
import { tlsFiles } from './listener-spec.js';
import { SecurityRegistry } from './security.js';

function describe(l: ListenerConfig): string {
  return `listener ${l.port}${l.address ? ` ${l.address}` : ''} (protocol ${l.protocol})`;
}

function prefixed(where: string, err: unknown): Error {
  return new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`);
}

/** A file midge will create or append to: its directory must exist (or be creatable) and be writable. */
function checkWritable(path: string, setting: string): void {
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) accessSync(path, constants.W_OK);
    else {
      let dir = dirname(path);
      while (!statSync(dir, { throwIfNoEntry: false })) dir = dirname(dir);
      accessSync(dir, constants.W_OK);
    }
  } catch (err) {
    throw new Error(`${setting} "${path}" cannot be written (${(err as NodeJS.ErrnoException).code ?? String(err)}). Check ${setting}.`);
  }
}

/**
 * Loads every file the configuration names, as `midge broker` will: each listener's
 * certificate, key, CA and CRL, every password and ACL file, the SCRAM users, and
 * checks that log files and the pid file can be written. Throws with the file (and
 * listener) named on the first problem, so `--test-config` fails where `broker` would.
 */
export async function checkConfigFiles(config: MidgeConfig): Promise<void> {
  const security = new SecurityRegistry();
  // The global files first: a broken one is then reported as itself, not against the first listener.
  await security.forSettings(config.auth, undefined);
  for (const l of config.listeners) {
    try {
      const files = tlsFiles(l);
      if (files) readTlsContext(files);
      await security.forListener(l);
    } catch (err) {
      throw prefixed(describe(l), err);
    }
  }
  if (config.auth.scramUsersFile) loadScramUsers(config.auth.scramUsersFile);
  for (const d of config.operations.logDestinations) if (d.kind === 'file') checkWritable(d.path, 'log_dest file');
  if (config.operations.pidFile) checkWritable(config.operations.pidFile, 'pid_file');
}
