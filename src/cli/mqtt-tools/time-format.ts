/** A moment in wall-clock time with nanoseconds (microsecond precision in practice). */
export interface Instant {
  /** Whole milliseconds since the epoch. */
  epochMs: number;
  /** Nanoseconds within the second, 0 to 999,999,999. */
  nanos: number;
}

/** The current time, with the sub-millisecond part from the high-resolution clock. */
export function instantNow(): Instant {
  const ms = performance.timeOrigin + performance.now();
  const epochMs = Math.floor(ms);
  const nanos = (epochMs % 1000) * 1_000_000 + Math.floor((ms - epochMs) * 1_000_000);
  return { epochMs, nanos: Math.min(nanos, 999_999_999) };
}

const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function pad(n: number, width = 2, fill = '0'): string {
  return String(n).padStart(width, fill);
}

/** Local UTC offset as strftime's `%z` writes it: `+0100`. */
export function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function dayOfYear(date: Date): number {
  const start = new Date(date.getFullYear(), 0, 1);
  return Math.floor((date.getTime() - start.getTime()) / 86_400_000) + 1;
}

/**
 * One strftime conversion in local time (`Y`, `m`, `d`, `H`, `M`, `S`, `F`, `T`,
 * `z`, `s`, ...), plus mosquitto's `N` for nanoseconds. Unknown letters give ''.
 */
export function strftimeField(letter: string, instant: Instant): string {
  const d = new Date(instant.epochMs);
  switch (letter) {
    case 'Y': return String(d.getFullYear());
    case 'y': return pad(d.getFullYear() % 100);
    case 'm': return pad(d.getMonth() + 1);
    case 'd': return pad(d.getDate());
    case 'e': return pad(d.getDate(), 2, ' ');
    case 'H': return pad(d.getHours());
    case 'k': return pad(d.getHours(), 2, ' ');
    case 'I': return pad(((d.getHours() + 11) % 12) + 1);
    case 'l': return pad(((d.getHours() + 11) % 12) + 1, 2, ' ');
    case 'M': return pad(d.getMinutes());
    case 'S': return pad(d.getSeconds());
    case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
    case 'j': return pad(dayOfYear(d), 3);
    case 'a': return days[d.getDay()]!.slice(0, 3);
    case 'A': return days[d.getDay()]!;
    case 'b': case 'h': return months[d.getMonth()]!.slice(0, 3);
    case 'B': return months[d.getMonth()]!;
    case 'u': return String(d.getDay() === 0 ? 7 : d.getDay());
    case 'w': return String(d.getDay());
    case 'z': return utcOffset(d);
    case 's': return String(Math.floor(instant.epochMs / 1000));
    case 'N': return pad(instant.nanos, 9);
    case 'F': return `${strftimeField('Y', instant)}-${strftimeField('m', instant)}-${strftimeField('d', instant)}`;
    case 'T': return `${strftimeField('H', instant)}:${strftimeField('M', instant)}:${strftimeField('S', instant)}`;
    case 'D': return `${strftimeField('m', instant)}/${strftimeField('d', instant)}/${strftimeField('y', instant)}`;
    case 'R': return `${strftimeField('H', instant)}:${strftimeField('M', instant)}`;
    case '%': return '%';
    default: return '';
  }
}

/** `%I` of mosquitto_sub: ISO 8601 local time, `2024-05-06T21:48:00+0100`. */
export function isoLocal(instant: Instant): string {
  return `${strftimeField('F', instant)}T${strftimeField('T', instant)}${strftimeField('z', instant)}`;
}

/** `%U` of mosquitto_sub: Unix time with nanoseconds, `1715024880.123456789`. */
export function unixWithNanos(instant: Instant): string {
  return `${Math.floor(instant.epochMs / 1000)}.${pad(instant.nanos, 9)}`;
}

/** The `tst` field of mosquitto_sub's JSON output: `2024-05-06T21:48:00.123456Z+0100`. */
export function jsonTimestamp(instant: Instant): string {
  return `${strftimeField('F', instant)}T${strftimeField('T', instant)}.${pad(Math.floor(instant.nanos / 1000), 6)}Z${strftimeField('z', instant)}`;
}
