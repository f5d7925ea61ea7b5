import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MqttClient, type ClientOptions, type MqttMessage } from '../../src/client/index.js';
import type { Logger } from '../../src/broker/index.js';
import { loadConfig } from '../../src/config/index.js';
import { startFromConfig } from '../../src/server/index.js';
import type { MidgeServer } from '../../src/server/index.js';

/** One log record: its level, message and fields. */
export interface LogRecord {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every record, for tests that check the log lines a bridge writes. */
export function recordingLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at = (level: LogRecord['level']) => (fields: object, message: string): void => {
    records.push({ level, message, fields: fields as Record<string, unknown> });
  };
  return { logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }, records };
}

/** A midge started in this process from a mosquitto.conf text (`listener 0` lines get free ports). */
export interface ConfiguredMidge {
  server: MidgeServer;
  /** Port of the first listener. */
  port: number;
  dir: string;
  records: LogRecord[];
  stop(): Promise<void>;
}

/**
 * Starts midge in-process from config text, with its working directory (and store) in a
 * fresh temp dir, or in `dir` when given (a restart on the same store).
 */
export async function startConfigured(text: string, dir?: string): Promise<ConfiguredMidge> {
  const ownDir = dir ?? mkdtempSync(join(tmpdir(), 'midge-bridge-'));
  const file = join(ownDir, 'midge.conf');
  writeFileSync(file, text);
  const config = loadConfig({ file, env: {}, cwd: ownDir });
  const { logger, records } = recordingLogger();
  const { server } = await startFromConfig(config, logger);
  return {
    server, port: server.listeners[0]!.port, dir: ownDir, records,
    async stop() {
      await server.close();
      if (dir === undefined) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A connected client on 127.0.0.1:port that collects what it receives. */
export interface Collector {
  client: MqttClient;
  messages: MqttMessage[];
  /** Payloads as strings, in arrival order. */
  payloads(topic?: string): string[];
  /** Waits until `n` messages (of `topic`, if given) arrived. */
  waitFor(n: number, topic?: string, ms?: number): Promise<void>;
}

/** Connects a client; when `subscribe` is given, subscribes and collects. */
export async function collector(port: number, subscribe: string | string[], options: ClientOptions & { qos?: 0 | 1 | 2 } = {}): Promise<Collector> {
  const { qos, ...clientOptions } = options;
  const client = new MqttClient(`mqtt://127.0.0.1:${port}`, { reconnect: false, ...clientOptions });
  const messages: MqttMessage[] = [];
  // Before connecting: a resumed session's messages come right behind the CONNACK.
  client.on('message', (m) => messages.push(m));
  await client.connect();
  const filters = typeof subscribe === 'string' ? [subscribe] : subscribe;
  if (filters.length > 0) await client.subscribe(filters, { qos: qos ?? 2 });
  const of = (topic?: string) => messages.filter((m) => topic === undefined || m.topic === topic);
  return {
    client, messages,
    payloads: (topic) => of(topic).map((m) => m.payload.toString()),
    waitFor: (n, topic, ms) => eventually(() => of(topic).length >= n, `${n} messages${topic ? ` on ${topic}` : ''} (got ${of(topic).length})`, ms),
  };
}

/** The bridge named `name` is connected. */
export function bridgeConnected(server: MidgeServer, name = 'cloud'): Promise<void> {
  return eventually(() => server.bridges.status().find((b) => b.name === name)?.state === 'connected', `bridge ${name} connected`);
}

/**
 * The brokers and clients one test file starts, stopped in reverse order by `close()`
 * (call it from `after`).
 */
export class Started {
  private readonly cleanups: Array<() => Promise<void>> = [];

  /** Something else to undo at the end. */
  add(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** A midge on loopback (port 0: a free one) letting anonymous clients in, without a store or $SYS, plus `lines`. */
  async midge(lines: string[], port = 0): Promise<ConfiguredMidge> {
    const m = await startConfigured([`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'sys_interval 0', ...lines, ''].join('\n'));
    this.add(() => m.stop());
    return m;
  }

  /** A client of 127.0.0.1:port collecting what it receives on `filters`. */
  async watch(port: number, filters: string | string[], options: Parameters<typeof collector>[2] = {}): Promise<Collector> {
    const c = await collector(port, filters, options);
    this.add(() => c.client.end({ timeoutMs: 200 }));
    return c;
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
