import strftime from 'strftime';

/**
 * The timestamp of text lines: ISO 8601 in UTC with milliseconds by default, or
 * mosquitto's `log_timestamp_format` (strftime, local time). A formatted strftime
 * timestamp is reused within its second (or millisecond, with `%L`), so a busy log
 * does not pay for formatting each line.
 */
export function makeClock(enabled: boolean, format: string | undefined): () => string | undefined {
  if (!enabled) return () => undefined;
  if (format === undefined) return () => new Date().toISOString();
  const resolution = format.includes('%L') ? 1 : 1000;
  let lastKey = -1;
  let last = '';
  return () => {
    const now = Date.now();
    const key = Math.floor(now / resolution);
    if (key !== lastKey) {
      lastKey = key;
      last = strftime(format, new Date(now));
    }
    return last;
  };
}
