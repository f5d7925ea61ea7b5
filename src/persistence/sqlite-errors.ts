/**
 * The cause of a failed write in words an operator acts on, with the code to
 * search for: `the disk is full (SQLITE_FULL: database or disk is full)`.
 */
export function describeSqliteError(err: unknown): string {
  const code = typeof (err as { code?: unknown } | undefined)?.code === 'string' ? (err as { code: string }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const detail = code && !message.includes(code) ? `${code}: ${message}` : message;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return `the disk is full (${detail})`;
  if (code === 'EDQUOT') return `the disk quota is exhausted (${detail})`;
  if (code?.startsWith('SQLITE_IOERR') || code === 'EIO') return `an I/O error (${detail})`;
  if (code?.startsWith('SQLITE_READONLY') || code === 'EROFS') return `it is read-only (${detail})`;
  if (code?.startsWith('SQLITE_CORRUPT')) return `it is corrupt (${detail})`;
  return detail;
}
