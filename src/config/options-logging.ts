import { resolve } from 'node:path';
import { LOG_TYPES, type LogDestination, type LogFormat, type LogType } from '../logging/index.js';
import type { Directive } from './directive.js';
import { ConfigError } from './errors.js';
import { optional, withDefault } from './option-spec.js';
import { parseBoolean, parseChoice, parseText, type ParseContext } from './values.js';

/**
 * The option table, third part: where and how midge logs, in mosquitto's terms (see
 * `options.ts` for the table as a whole and docs/operations.md for what each does).
 */

/** mosquitto's `log_type` words; `all` and `none` stand for every type and no type. */
const LOG_TYPE_WORDS = ['error', 'warning', 'notice', 'information', 'debug', 'subscribe', 'unsubscribe', 'websockets', 'all', 'none'] as const;

function parseLogType(directive: Directive): Array<LogType | 'all' | 'none'> {
  if (directive.words.length === 0) throw new ConfigError('missing value for log_type', directive.origin);
  return directive.words.map((word) => {
    const type = LOG_TYPE_WORDS.find((t) => t === word);
    if (!type) throw new ConfigError(`invalid log_type '${word}': expected ${LOG_TYPE_WORDS.join(', ')}`, directive.origin);
    return type;
  });
}

/** `log_type` lines in order: `all` adds every type, `none` clears those before it. */
function settleLogTypes(words: ReadonlyArray<LogType | 'all' | 'none'>): LogType[] {
  const types = new Set<LogType>();
  for (const word of words) {
    if (word === 'none') types.clear();
    else if (word === 'all') for (const t of LOG_TYPES) types.add(t);
    else types.add(word);
  }
  return LOG_TYPES.filter((t) => types.has(t));
}

/** `log_dest stderr|stdout|syslog|topic|none` or `log_dest file PATH` (the path is the rest of the line). */
function parseLogDestination(directive: Directive, context: ParseContext): LogDestination[] {
  const [kind] = directive.words;
  if (kind === 'file') {
    const path = directive.text.slice('file'.length).trim();
    if (path === '') throw new ConfigError('log_dest file needs a path', directive.origin);
    return [{ kind: 'file', path: resolve(context.cwd, path) }];
  }
  if (kind === 'dlt') throw new ConfigError('log_dest dlt is not supported (use stderr, stdout, file, syslog, topic or none)', directive.origin);
  const choice = parseChoice(directive, ['stderr', 'stdout', 'syslog', 'topic', 'none', 'file'] as const);
  return [{ kind: choice as Exclude<typeof choice, 'file'> }];
}

/** `log_dest` lines in order; `none` drops those before it; a destination given twice counts once. */
function settleLogDestinations(destinations: readonly LogDestination[]): LogDestination[] {
  const chosen: LogDestination[] = [];
  for (const d of destinations) {
    if (d.kind === 'none') chosen.length = 0;
    else if (!chosen.some((c) => JSON.stringify(c) === JSON.stringify(d))) chosen.push({ ...d });
  }
  return chosen;
}

export const loggingOptions = [
  optional({
    name: 'log_format', section: 'operations', field: 'logFormat', parse: (d): LogFormat => parseChoice(d, ['text', 'json'] as const),
    doc: {
      type: 'text or json', summary: 'text: one line per event in mosquitto\'s words; json: one pino JSON object per line.',
      mosquitto: 'midge only (mosquitto writes text)', example: 'log_format text', defaultText: 'text on a terminal, json elsewhere',
    },
  }),
  withDefault({
    name: 'log_dest', section: 'operations', field: 'logDestinations', list: true, default: [{ kind: 'stderr' }] as LogDestination[],
    parse: parseLogDestination, settle: settleLogDestinations,
    format: (destinations) => (destinations.length === 0 ? ['none'] : destinations.map((d) => (d.kind === 'file' ? `file ${d.path}` : d.kind))),
    doc: {
      type: 'stderr, stdout, file PATH, syslog, topic or none; repeat for more', summary: 'Where log lines go; a file is reopened on SIGHUP; none drops the destinations before it.',
      mosquitto: 'same, but dlt is refused; syslog goes through logger(1) to /dev/log', example: 'log_dest file /var/log/midge/midge.log', defaultText: 'stderr',
    },
  }),
  optional({
    name: 'log_type', section: 'operations', field: 'logTypes', list: true, parse: parseLogType, settle: settleLogTypes,
    format: (types) => (types.length === 0 ? ['none'] : types),
    doc: {
      type: 'error, warning, notice, information, debug, subscribe, unsubscribe, websockets, all or none; repeat for more',
      summary: 'Which kinds of line are written; debug (or all) lowers log_level to debug when log_level is not set.',
      mosquitto: 'same', example: 'log_type all', defaultText: 'every type but subscribe and unsubscribe, down to log_level',
    },
  }),
  withDefault({
    name: 'log_timestamp', section: 'operations', field: 'logTimestamp', default: true, parse: parseBoolean,
    doc: { type: 'true or false', summary: 'Text lines start with a timestamp.', mosquitto: 'same', example: 'log_timestamp false' },
  }),
  optional({
    name: 'log_timestamp_format', section: 'operations', field: 'logTimestampFormat', repeat: 'once', parse: parseText,
    doc: {
      type: 'strftime format', summary: 'How text timestamps look, in local time.', mosquitto: 'same',
      example: 'log_timestamp_format %Y-%m-%dT%H:%M:%S', defaultText: 'ISO 8601 in UTC with milliseconds',
    },
  }),
  optional({
    name: 'pid_file', section: 'operations', field: 'pidFile', repeat: 'once', parse: (d, c) => resolve(c.cwd, parseText(d)),
    doc: { type: 'path to a file', summary: 'The process id is written here once midge listens, and removed when it exits.', mosquitto: 'same', example: 'pid_file /run/midge.pid', defaultText: 'none' },
  }),
] as const;
