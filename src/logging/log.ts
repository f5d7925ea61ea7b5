import pino from 'pino';
import type { Logger } from '../broker/index.js';
import { LEVELS, categoryOf, syslogSeverity, topicOf, type WriteLevel } from './categories.js';
import { makeClock } from './clock.js';
import type { LogOptions, LogType } from './options.js';
import type { Fields } from './sentences.js';
import { SyslogSink, openStream, type StreamSink } from './sinks.js';
import { formatText } from './text-format.js';

/** Publishes a log line on a topic (`log_dest topic`), given once the broker runs. */
export type TopicPublisher = (topic: string, line: string) => void;

/** A running log: the Logger the broker is given, and what the process does with it. */
export interface MidgeLog {
  readonly logger: Logger;
  /** Reopens log files (SIGHUP), so a rotated file is let go. */
  reopen(): void;
  /** From now on, lines for `log_dest topic` are published through this. */
  attachTopic(publish: TopicPublisher): void;
  /** Stops the syslog helper; console and file writes are synchronous and need no flush. */
  close(): void;
}

const noop = (): void => undefined;

/** What every logger of one log shares: the filters and the sinks. */
class LogCore {
  readonly minimum: number;
  private readonly types: ReadonlySet<LogType>;
  private readonly text: StreamSink[];
  readonly json: pino.Logger | undefined;
  private readonly clock: () => string | undefined;
  private topic: TopicPublisher | undefined;
  private publishing = false;

  constructor(options: LogOptions, readonly streams: StreamSink[], readonly syslog: SyslogSink | undefined, readonly wantsTopic: boolean) {
    this.minimum = LEVELS[options.level];
    this.types = new Set(options.types);
    this.text = streams.filter((s) => s.format === 'text');
    const json = streams.filter((s) => s.format === 'json').map((s) => s.stream);
    const target = json.length > 1 ? pino.multistream(json.map((stream) => ({ stream, level: 'trace' as const }))) : json[0];
    this.json = target ? pino({ level: options.level, base: options.base ?? { svc: 'midge' } }, target) : undefined;
    this.clock = makeClock(options.timestamp, options.timestampFormat);
  }

  enabled(level: WriteLevel): boolean {
    return LEVELS[level] >= this.minimum;
  }

  attachTopic(publish: TopicPublisher): void {
    if (this.wantsTopic) this.topic = publish;
  }

  write(level: WriteLevel, fields: Fields, message: string, bindings: Fields | undefined, json: pino.Logger | undefined): void {
    const type = categoryOf(level, message);
    if (!this.types.has(type)) return;
    json?.[level](fields, message);
    if (this.text.length > 0 || this.topic) {
      const line = formatText(level, message, fields, bindings, this.clock());
      for (const sink of this.text) sink.stream.write(line);
      // mosquitto never publishes debug lines; a publish that logs must not publish again.
      if (this.topic && type !== 'debug' && !this.publishing) {
        this.publishing = true;
        try {
          this.topic(topicOf(type), line.trimEnd());
        } finally {
          this.publishing = false;
        }
      }
    }
    this.syslog?.write(formatText(level, message, fields, bindings, undefined), syslogSeverity(type));
  }
}

/** The Logger port over a {@link LogCore}; levels below the minimum are no-ops. */
class RoutedLogger implements Logger {
  readonly error: Logger['error'];
  readonly warn: Logger['warn'];
  readonly info: Logger['info'];
  readonly debug: Logger['debug'];

  constructor(private readonly core: LogCore, private readonly bindings: Fields | undefined, private readonly json: pino.Logger | undefined) {
    const method = (level: WriteLevel) => core.enabled(level)
      ? (fields: object, message: string) => core.write(level, fields as Fields, message, bindings, json)
      : noop;
    this.error = method('error');
    this.warn = method('warn');
    this.info = method('info');
    this.debug = method('debug');
  }

  isLevelEnabled(level: WriteLevel): boolean {
    return this.core.enabled(level);
  }

  child(bindings: object): Logger {
    const merged = { ...this.bindings, ...(bindings as Fields) };
    return new RoutedLogger(this.core, merged, this.json?.child(bindings));
  }
}

/**
 * Builds the log a configuration asks for. Console and file destinations write text
 * or JSON (pino) lines; syslog and topic destinations get text. Throws when a
 * destination cannot be opened (a log file in a missing directory that cannot be made,
 * no syslog socket). `onProblem` hears of a destination that fails later.
 */
export function createLog(options: LogOptions, onProblem: (problem: string) => void = (p) => process.stderr.write(`midge: ${p}\n`)): MidgeLog {
  const destinations = options.destinations.length === 0 ? [{ kind: 'stderr' as const }] : options.destinations;
  const streams: StreamSink[] = [];
  let syslog: SyslogSink | undefined;
  let wantsTopic = false;
  for (const d of destinations) {
    if (d.kind === 'syslog') syslog ??= new SyslogSink(options.syslogSocket ?? '/dev/log', onProblem);
    else if (d.kind === 'topic') wantsTopic = true;
    else if (d.kind !== 'none') streams.push(openStream(d, options.format));
  }
  const core = new LogCore(options, streams, syslog, wantsTopic);
  return {
    logger: new RoutedLogger(core, undefined, core.json),
    reopen() {
      for (const s of streams) if (s.reopenable) s.stream.reopen();
    },
    attachTopic: (publish) => core.attachTopic(publish),
    close() {
      syslog?.close();
    },
  };
}
