import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoreIdentity } from './sqlite-schema.js';
import { markerFile, type MarkerReading } from './store-marker.js';

/** Something wrong with a store as a whole, found before or just after opening it. */
export interface StoreProblem {
  kind: 'missing' | 'empty' | 'orphan-wal' | 'marker' | 'lost-tail' | 'other-store' | 'damaged-records';
  /** Why the store cannot be trusted, e.g. `it is empty (0 bytes), but ... says ...`. */
  why: string;
  /** What the operator can do about it. */
  fix: string;
}

/**
 * Raised instead of opening a store that is missing, empty, cut short or not the
 * one its marker describes: midge does not start over such a store, since it
 * would start without what it had acknowledged.
 */
export class StoreRefusedError extends Error {
  constructor(readonly file: string, readonly problem: StoreProblem) {
    super(`cannot open the store ${file}: ${problem.why}. ${problem.fix}`);
  }
}

const repairHint = (file: string) => `midge store repair ${dirname(file)}`;

/** Problems visible before SQLite opens the file: a store gone or emptied where its marker says one was. */
export function fileProblem(file: string, marker: MarkerReading): StoreProblem | undefined {
  const markerPath = markerFile(file);
  if (marker.kind === 'unreadable') {
    return {
      kind: 'marker', why: `its marker ${markerPath} is unreadable (${marker.why})`,
      fix: `Run \`midge store check ${dirname(file)}\`; \`${repairHint(file)}\` writes a new marker from the store`,
    };
  }
  const size = existsSync(file) ? statSync(file).size : undefined;
  if (marker.kind === 'none') {
    if (size === undefined && existsSync(`${file}-wal`)) {
      return {
        kind: 'orphan-wal', why: `it is missing but its ${file}-wal is there`,
        fix: 'Put the database file back from where it went, or move the -wal file away to start with an empty store',
      };
    }
    return undefined;
  }
  if (size !== undefined && size > 0) return undefined;
  const commits = marker.identity.commit;
  return {
    kind: size === undefined ? 'missing' : 'empty',
    why: `${size === undefined ? 'it is missing' : 'it is empty (0 bytes)'}, but ${markerPath} says a store with ${commits} commits was here`,
    fix: 'midge does not start empty in place of a store that was lost. Put midge.db (and midge.db-wal, if there was one) back '
      + `from a backup, or run \`${repairHint(file)}\` to start over with an empty store`,
  };
}

/** Problems visible once the store is open: it is not the marker's store, or its last commits are gone. */
export function identityProblem(file: string, marker: MarkerReading, identity: StoreIdentity): StoreProblem | undefined {
  if (marker.kind !== 'ok') return undefined;
  const markerPath = markerFile(file);
  const expected = marker.identity;
  if (expected.id !== identity.id) {
    return {
      kind: 'other-store', why: `it is store ${identity.id}, but ${markerPath} belongs to store ${expected.id} (the file was replaced)`,
      fix: `Put the right file back, or, if the replacement was intended, run \`${repairHint(file)}\` to adopt it`,
    };
  }
  if (identity.commit >= expected.commit) return undefined;
  const lost = expected.commit - identity.commit;
  return {
    kind: 'lost-tail',
    why: `it ends at commit ${identity.commit}, but ${markerPath} recorded commit ${expected.commit}: its last ${lost} `
      + `commit${lost === 1 ? '' : 's'}, acknowledged messages among them, are missing. Its -wal file was deleted or damaged, `
      + 'the machine lost power with persistence_sync normal, or an older copy of the store was put back',
    fix: `If you have the original ${file}-wal, stop and put it back beside it; otherwise run \`${repairHint(file)}\` `
      + 'to accept the loss and start from what the store holds',
  };
}
