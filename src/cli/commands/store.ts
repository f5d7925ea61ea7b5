/**
 * `midge store check|repair|export [location]`: look at, mend or dump the SQLite
 * store of a broker that is not running (the store is locked while one runs).
 *
 * Exit codes: 0 the store is intact (check), repaired or had nothing to repair
 * (repair), exported whole (export); 2 the store is damaged (check: the broker
 * would refuse it; export: damaged records were left out); 1 the command could
 * not do its work (no store there, in use, not a database, cannot be repaired).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Command } from 'commander';
import {
  DEFAULT_LOCATION, checkStore, describeReport, exportStore, isHealthy, repairStore,
} from '../../persistence/index.js';

const EXIT_DAMAGED = 2;

const locationArgument = ['[location]', `the store's directory (persistence_location; default ${DEFAULT_LOCATION})`, DEFAULT_LOCATION] as const;

/** The `store` subcommand. */
export function storeCommand(): Command {
  const store = new Command('store')
    .description('check, repair or export a SQLite store while no broker runs on it');
  store.command('check')
    .description('check a store as the broker does at start-up, and every record against its checksum')
    .argument(...locationArgument)
    .action((location: string) => {
      const report = checkStore(location);
      for (const line of describeReport(report)) process.stdout.write(`${line}\n`);
      if (isHealthy(report)) {
        process.stdout.write('ok: the store is intact\n');
        return;
      }
      process.stdout.write(`damaged: midge will not start on it; \`midge store repair ${location}\` keeps what can be trusted and reports the rest\n`);
      process.exitCode = EXIT_DAMAGED;
    });
  store.command('repair')
    .description('remove damaged records and accept a lost WAL tail, copying the store first; reports what was lost')
    .argument(...locationArgument)
    .action((location: string) => {
      const result = repairStore(location);
      if (result.actions.length === 0) {
        process.stdout.write(`nothing to repair: ${result.file} is intact\n`);
        return;
      }
      for (const action of result.actions) process.stdout.write(`${action}\n`);
      for (const lost of result.lost) process.stdout.write(`lost: ${lost}\n`);
      process.stdout.write(`repaired: midge will start on ${result.file}\n`);
    });
  store.command('export')
    .description('write every intact record as JSON Lines (payloads in base64); damaged records are listed on stderr')
    .argument(...locationArgument)
    .option('-o, --output <file>', 'write to this file (created mode 0600) instead of standard output')
    .action((location: string, flags: { output?: string }) => {
      const fd = flags.output === undefined ? 1 : openSync(flags.output, 'w', 0o600);
      try {
        const report = exportStore(location, (line) => writeAll(fd, `${line}\n`));
        for (const d of report.damaged) process.stderr.write(`left out: ${d.what}\n`);
        for (const p of report.problems) process.stderr.write(`problem: ${p.why}\n`);
        if (!isHealthy(report)) process.exitCode = EXIT_DAMAGED;
      } finally {
        if (fd !== 1) closeSync(fd);
      }
    });
  return store;
}

/** Writes all of `text`, waiting out a pipe that is full (EAGAIN) rather than dropping the rest. */
function writeAll(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
