import type { WriteLevel } from './categories.js';
import { sentenceFor, type Fields } from './sentences.js';

const LABELS: Readonly<Record<WriteLevel, string>> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

/** Continuation lines (packet dumps, stacks) are indented under their event. */
const INDENT = '    ';

/** A value as `key=value` shows it: bare when it is one plain word, else JSON-quoted. */
function showValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w.:/@*+#$-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function appendFields(out: string[], fields: Fields, skip: readonly string[]): void {
  for (const key of Object.keys(fields)) {
    if (skip.includes(key) || key === 'trace') continue;
    const value = fields[key];
    if (value === undefined) continue;
    out.push(` ${key}=${showValue(value)}`);
  }
}

/** Lines that follow the event: a packet trace dump or an error's stack. */
function continuation(level: WriteLevel, fields: Fields): string {
  const trace = fields.trace;
  // Trace lines come indented already: a little more sets them under the timestamp.
  if (Array.isArray(trace) && trace.length > 1) return trace.slice(1).map((line) => `\n  ${String(line)}`).join('');
  const err = fields.err;
  if (level === 'error' && err instanceof Error && err.stack) {
    return err.stack.split('\n').slice(1).map((line) => `\n${INDENT}${line.trim()}`).join('');
  }
  return '';
}

/**
 * One event as text: `TIMESTAMP LEVEL sentence key=value...`, where the sentence is
 * mosquitto's wording for the events it has (see `sentences.ts`) and the message itself
 * otherwise. A packet trace shows its first line on the event's line and the rest of the
 * dump indented below it, as a protocol analyser prints it. Ends with a newline.
 */
export function formatText(level: WriteLevel, message: string, fields: Fields, bindings: Fields | undefined, timestamp: string | undefined): string {
  const out: string[] = [];
  if (timestamp !== undefined) out.push(timestamp, ' ');
  out.push(LABELS[level], ' ');
  const sentence = sentenceFor(message);
  const trace = fields.trace;
  if (sentence) {
    out.push(sentence.say(fields));
    appendFields(out, fields, sentence.uses);
  } else if (Array.isArray(trace) && trace.length > 0) {
    out.push(`${String(fields.clientId ?? '')} ${String(trace[0])}`);
    appendFields(out, fields, ['clientId', 'direction']);
  } else {
    out.push(message);
    appendFields(out, fields, []);
  }
  if (bindings) appendFields(out, bindings, []);
  out.push(continuation(level, fields), '\n');
  return out.join('');
}
