import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { isatty } from 'node:tty';
import pino from 'pino';
import type { LogDestination, LogFormat } from './options.js';

/** A SonicBoom stream, as pino.destination makes it. */
export type Destination = ReturnType<typeof pino.destination>;

/** A console or file destination and the format its lines take. */
export interface StreamSink {
  readonly stream: Destination;
  readonly format: LogFormat;
  /** Files are reopened on SIGHUP, so logrotate can move them away. */
  readonly reopenable: boolean;
}

/**
 * Opens a console or file destination. Writes are synchronous, as pino's default
 * destination's are: a line is on its way before the call returns, so nothing is lost
 * when the process exits. Without a format, a terminal gets text and anything else JSON.
 */
export function openStream(destination: Extract<LogDestination, { kind: 'stderr' | 'stdout' | 'file' }>, format: LogFormat | undefined): StreamSink {
  if (destination.kind === 'file') {
    const stream = openFile(destination.path);
    return { stream, format: format ?? 'json', reopenable: true };
  }
  const fd = destination.kind === 'stdout' ? 1 : 2;
  return { stream: pino.destination({ dest: fd, sync: true }), format: format ?? (isatty(fd) ? 'text' : 'json'), reopenable: false };
}

function openFile(path: string): Destination {
  try {
    return pino.destination({ dest: path, append: true, mkdir: true, sync: true });
  } catch (err) {
    throw new Error(`log_dest file: cannot open log file "${path}" for writing: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The syslog facility midge logs under (mosquitto's default, `daemon`). */
const FACILITY_DAEMON = 3;

/**
 * syslog through util-linux's `logger`, which writes each line it reads, with the
 * `<priority>` prefix it carries, to the syslog socket as one datagram (Node has no
 * Unix datagram sockets of its own). Lines carry no timestamp: syslog adds its own.
 */
export class SyslogSink {
  private readonly child: ChildProcess;
  private failed = false;

  constructor(socket: string, onFailure: (problem: string) => void) {
    if (!isSocket(socket)) throw new Error(`log_dest syslog: there is no syslog socket at ${socket} (is a syslog daemon running?)`);
    this.child = spawn('logger', ['--id=' + String(process.pid), '-t', 'midge', '--prio-prefix', '--socket-errors=on', '-u', socket], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let errors = '';
    this.child.stderr?.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    const fail = (why: string) => {
      if (this.failed) return;
      this.failed = true;
      onFailure(`log_dest syslog stopped working: ${why}`);
    };
    this.child.on('error', (err) => fail(`cannot run logger(1): ${err.message}`));
    this.child.on('exit', (code) => fail(`logger(1) exited with code ${String(code)}${errors ? `: ${errors.trim()}` : ''}`));
    this.child.stdin?.on('error', () => undefined);
    // The logger process and its pipes must not keep midge alive.
    this.child.unref();
    for (const pipe of [this.child.stdin, this.child.stderr]) (pipe as Socket | null)?.unref();
  }

  /** Writes a (possibly multi-line) text at a syslog severity. */
  write(text: string, severity: number): void {
    if (this.failed) return;
    const prefix = `<${FACILITY_DAEMON * 8 + severity}>`;
    const lines = text.endsWith('\n') ? text.slice(0, -1) : text;
    this.child.stdin?.write(prefix + lines.split('\n').join(`\n${prefix}`) + '\n');
  }

  close(): void {
    this.failed = true;
    this.child.stdin?.end();
  }
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
