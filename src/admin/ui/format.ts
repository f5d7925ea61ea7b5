/** Number formats of the dashboard. */

/** 1234 -> `1,234`; 1234567 -> `1.23 M`. */
export function count(n: number): string {
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  return Math.round(n).toLocaleString('en');
}

/** A rate per second with sensible precision. */
export function rate(n: number): string {
  return n >= 100 ? count(n) : n.toFixed(n >= 10 ? 1 : 2);
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

/** An axis label: whole numbers when the step is whole, else as few decimals as the step needs. */
export function axis(value: number, step: number): string {
  if (Number.isInteger(step)) return count(value);
  return value.toFixed(step >= 0.1 ? 1 : 2);
}

/** 93784 -> `1d 2h 3m`. */
export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  return m > 0 ? `${m}m ${Math.floor(seconds % 60)}s` : `${Math.floor(seconds)}s`;
}

/** How long ago an ISO time was, roughly. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return s < 1 ? 'just now' : `${duration(s)} ago`;
}

/** A clock time in the browser's zone: `14:05`, or `14:05:09` with seconds. */
export function clockTime(epochMs: number, seconds = false): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}${seconds ? `:${two(d.getSeconds())}` : ''}`;
}
