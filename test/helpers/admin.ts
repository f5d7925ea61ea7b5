import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../../src/auth/index.js';

/** An answer of the admin API. */
export interface AdminAnswer<T = unknown> {
  status: number;
  headers: Headers;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: T;
  text: string;
}

/** The Authorization value for HTTP Basic. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Calls the admin listener on 127.0.0.1; `body` is sent as JSON. Bounded by a timeout. */
export async function adminCall<T = unknown>(port: number, path: string, options: { method?: string; authorization?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<AdminAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: options.method ?? 'GET', headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as T, text };
}

/**
 * Parses Prometheus text into `name{labels}` -> value (labels as written, in
 * order), e.g. `midge_publish_received_total{qos="1"}`.
 */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** Writes a Mosquitto password file (PBKDF2, few iterations: quick) and returns its path. */
export async function writePasswordFile(dir: string, users: Record<string, string>): Promise<string> {
  const lines: string[] = [];
  for (const [user, password] of Object.entries(users)) {
    lines.push(`${user}:${(await hashPassword(password, { iterations: 1000 })).encoded}`);
  }
  const file = join(dir, 'passwd');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
