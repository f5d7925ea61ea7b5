import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checksumAfterTexts, rowChecksum } from './row-checksum.js';
import type { StoreIdentity } from './sqlite-schema.js';

/**
 * The marker beside a store (`midge.db-marker`): a 64-byte line naming the store
 * (its random id) and the number of its last commit. It outlives what it guards:
 *
 * - a store file that is missing or empty where a marker says one was used is a
 *   lost store, not a new one;
 * - a store whose last commit is older than the marker's lost the end of its WAL
 *   (deleted, damaged, or an older copy put back): acknowledged messages are gone.
 *
 * It is rewritten in place (one `pwrite` of the same 64 bytes, no fsync, only
 * the commit number and the sum changed in a buffer kept for it) after every commit, so it never claims a commit that is not already in SQLite's WAL.
 * Without an fsync it may lag after a power loss: a lost tail is then seen only
 * as far as the marker got to disk, and never claimed where there was none.
 */
export function markerFile(storeFile: string): string {
  return `${storeFile}-marker`;
}

const MAGIC = 'midge-store-marker';
const VERSION = 1;
const LENGTH = 64;
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** What a marker file says: who the store is and how far it got, or why it cannot be read. */
export type MarkerReading = { kind: 'none' } | { kind: 'ok'; identity: StoreIdentity } | { kind: 'unreadable'; why: string };

/** Reads a marker; a missing file is `none`, not an error. */
export function readMarker(file: string): MarkerReading {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unreadable', why: err instanceof Error ? err.message : String(err) };
  }
  const m = /^(\S+) (\d+) ([0-9a-f]{16}) (\d{16}) ([0-9a-f]{8})\n$/.exec(text);
  if (!m || m[1] !== MAGIC || Number(m[2]) !== VERSION) return { kind: 'unreadable', why: 'not a midge store marker' };
  const identity = { id: m[3]!, commit: Number(m[4]) };
  if (sumOf(identity) !== m[5]) return { kind: 'unreadable', why: 'its checksum does not match' };
  return { kind: 'ok', identity };
}

function sumOf(identity: StoreIdentity): string {
  return rowChecksum([MAGIC, identity.id, identity.commit]).toString(16).padStart(8, '0');
}

function render(identity: StoreIdentity): Buffer {
  const line = `${MAGIC} ${VERSION} ${identity.id} ${String(identity.commit).padStart(16, '0')} ${sumOf(identity)}\n`;
  if (line.length !== LENGTH) throw new Error(`marker line of ${line.length} bytes`);
  return Buffer.from(line, 'latin1');
}

/**
 * Writes a marker whole and durably (a new file renamed over the old, then the
 * directory fsynced): at open, and by `midge store repair`.
 */
export function writeMarker(file: string, identity: StoreIdentity): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
  try {
    writeSync(fd, render(identity), 0, LENGTH, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), constants.O_RDONLY);
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Where the commit number and the sum start in a marker line (the line ends `<commit> <sum>\n`). */
const COMMIT_AT = LENGTH - 26;
const SUM_AT = LENGTH - 9;

/** The open marker of a running store, brought up to date after each commit. */
export class MarkerWriter {
  private fd: number | undefined;
  private readonly line: Buffer;
  private readonly sum: (commit: number) => number;

  /** Writes the marker durably for `identity` and keeps it open for {@link update}. */
  constructor(readonly file: string, id: string, commit: number) {
    writeMarker(file, { id, commit });
    this.line = render({ id, commit });
    this.sum = checksumAfterTexts([MAGIC, id]);
    this.fd = openSync(file, constants.O_WRONLY);
  }

  /**
   * Records `commit` as the last one. Throws when the write fails; the commit is
   * in the store all the same (a marker that lags claims nothing false).
   */
  update(commit: number): void {
    if (this.fd === undefined) return;
    const line = this.line;
    let n = commit;
    for (let i = COMMIT_AT + 15; i >= COMMIT_AT; i--, n = Math.floor(n / 10)) line[i] = 0x30 + (n % 10);
    const sum = this.sum(commit);
    for (let i = 0; i < 8; i++) line[SUM_AT + i] = HEX[(sum >>> (28 - 4 * i)) & 15]!;
    writeSync(this.fd, line, 0, LENGTH, 0);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
