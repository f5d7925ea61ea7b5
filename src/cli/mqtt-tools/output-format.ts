import type { MqttMessage } from '../../client/index.js';
import { messageJson } from './message-json.js';
import { isoLocal, strftimeField, unixWithNanos, type Instant } from './time-format.js';

/** How mosquitto_sub/rr print a message: `-F`, `-v`, `-N`, `--pretty`. */
export interface OutputOptions {
  format?: string;
  verbose: boolean;
  /** Print an end of line after each message (off with `-N`). */
  eol: boolean;
  pretty: boolean;
}

/** What to print for one message: bytes for stdout, and an error line for stderr, if any. */
export interface Printed {
  bytes: Buffer;
  error?: string;
}

const EOL = Buffer.from('\n');

/**
 * Renders a message as mosquitto_sub prints it. Without `-F`: the payload (`-v`:
 * topic, space, payload; an empty payload prints `topic (null)`, or nothing
 * without `-v`). With `-F`: the format string, see {@link renderFormat}.
 */
export function formatMessage(message: MqttMessage, options: OutputOptions, time: Instant): Printed {
  if (options.format !== undefined) {
    const rendered = renderFormat(options.format, message, time, options.pretty);
    if (options.eol) rendered.bytes = Buffer.concat([rendered.bytes, EOL]);
    return rendered;
  }
  const empty = message.payload.length === 0;
  if (options.verbose) {
    if (empty) return { bytes: options.eol ? Buffer.from(`${message.topic} (null)\n`) : Buffer.alloc(0) };
    return { bytes: Buffer.concat([Buffer.from(`${message.topic} `), message.payload, options.eol ? EOL : Buffer.alloc(0)]) };
  }
  if (empty) return { bytes: Buffer.alloc(0) };
  return { bytes: options.eol ? Buffer.concat([message.payload, EOL]) : message.payload };
}

/** A `%` conversion's flags: `-` left align, `0` zero padding, width, `.precision`. */
interface Spec {
  leftAlign: boolean;
  zeroPad: boolean;
  width: number;
  precision: number | undefined;
}

const escapes: Readonly<Record<string, string>> = { '\\': '\\', '0': '\0', a: '\x07', e: '\x1b', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * mosquitto_sub's `-F` format: `%t` topic, `%p` payload, `%x`/`%X` payload in
 * hex, `%l` length, `%q` QoS, `%r` retain, `%m` message id, `%I` ISO time, `%U`
 * Unix time, `%j`/`%J` JSON, `%%`; v5 `%A` topic alias, `%C` content type, `%D`
 * correlation data, `%E` message expiry, `%F` payload format, `%P` user
 * properties, `%R` response topic, `%S` subscription id; `@` strftime fields
 * (`@@` for `@`); backslash escapes `\\ \0 \a \e \n \r \t \v`.
 */
export function renderFormat(format: string, message: MqttMessage, time: Instant, pretty: boolean): Printed {
  const parts: Buffer[] = [];
  let error: string | undefined;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === '%' && i + 1 < format.length) {
      const { spec, next } = readSpec(format, i + 1);
      if (next < format.length) {
        const field = percentField(format[next]!, spec, message, time, pretty);
        if (typeof field === 'string' || Buffer.isBuffer(field)) parts.push(Buffer.from(field));
        else error ??= field.error;
      }
      i = next + 1;
    } else if (c === '@' && i + 1 < format.length) {
      const letter = format[i + 1]!;
      parts.push(Buffer.from(letter === '@' ? '@' : strftimeField(letter, time)));
      i += 2;
    } else if (c === '\\' && i + 1 < format.length) {
      parts.push(Buffer.from(escapes[format[i + 1]!] ?? ''));
      i += 2;
    } else {
      parts.push(Buffer.from(c));
      i += 1;
    }
  }
  return { bytes: Buffer.concat(parts), ...(error ? { error } : {}) };
}

function readSpec(format: string, start: number): { spec: Spec; next: number } {
  let i = start;
  const spec: Spec = { leftAlign: false, zeroPad: false, width: 0, precision: undefined };
  if (format[i] === '-') {
    spec.leftAlign = true;
    i++;
  }
  if (format[i] === '0') {
    spec.zeroPad = true;
    i++;
  }
  while (i < format.length - 1 && /\d/.test(format[i]!)) spec.width = spec.width * 10 + Number(format[i++]);
  if (format[i] === '.' && i < format.length - 1) {
    i++;
    spec.precision = 0;
    while (i < format.length - 1 && /\d/.test(format[i]!)) spec.precision = spec.precision * 10 + Number(format[i++]);
  }
  return { spec, next: i };
}

type Field = string | Buffer | { error: string };

function percentField(letter: string, spec: Spec, message: MqttMessage, time: Instant, pretty: boolean): Field {
  const props = message.properties;
  switch (letter) {
    case '%': return '%';
    case 't': return padString(message.topic, spec);
    case 'p': return payloadField(message.payload, spec, 'raw');
    case 'x': return payloadField(message.payload, spec, 'hex');
    case 'X': return payloadField(message.payload, spec, 'HEX');
    case 'l': return padInt(message.payload.length, spec);
    case 'm': return padInt(message.packetId ?? 0, spec);
    case 'q': return String(message.qos);
    case 'r': return message.retain ? '1' : '0';
    case 'I': return padString(isoLocal(time), spec);
    case 'U': return unixWithNanos(time);
    case 'j': return jsonField(message, time, 'escaped', pretty);
    case 'J': return jsonField(message, time, 'parsed', pretty);
    case 'A': return optionalInt(props?.topicAlias, spec);
    case 'C': return props?.contentType === undefined ? ' '.repeat(spec.width) : padString(props.contentType, spec);
    case 'D': return props?.correlationData ?? '';
    case 'E': return optionalInt(props?.messageExpiryInterval, spec);
    case 'F': return optionalInt(props?.payloadFormatIndicator, spec);
    case 'P': return (props?.userProperties ?? []).map(([k, v]) => `${k}:${v}`).join(' ');
    case 'R': return props?.responseTopic === undefined ? '' : padString(props.responseTopic, spec);
    case 'S': return optionalInt(props?.subscriptionIdentifiers?.[0], spec);
    default: return '';
  }
}

function jsonField(message: MqttMessage, time: Instant, payload: 'escaped' | 'parsed', pretty: boolean): Field {
  const json = messageJson(message, time, payload, pretty);
  return json ?? { error: `Message payload is not valid JSON on topic ${message.topic}.` };
}

/** printf's `%*.*s`: precision truncates, width pads with spaces (left with `-`). */
function padString(value: string, spec: Spec): string {
  const text = spec.precision === undefined ? value : value.slice(0, spec.precision);
  return spec.leftAlign ? text.padEnd(spec.width) : text.padStart(spec.width);
}

/** printf's `%*d`, `%-*d` and `%0*d`. */
function padInt(value: number, spec: Spec): string {
  const text = String(value);
  if (spec.leftAlign) return text.padEnd(spec.width);
  return text.padStart(spec.width, spec.zeroPad ? '0' : ' ');
}

/** An integer property, or the padding alone when the message does not carry it. */
function optionalInt(value: number | undefined, spec: Spec): string {
  return value === undefined ? (spec.zeroPad ? '0' : ' ').repeat(spec.width) : padInt(value, spec);
}

/**
 * The payload as mosquitto writes it: a width also cuts the payload to that many
 * bytes (characters of hex), and pads what is left.
 */
function payloadField(payload: Buffer, spec: Spec, mode: 'raw' | 'hex' | 'HEX'): Buffer {
  let bytes = payload;
  let shown: Buffer;
  if (mode === 'raw') {
    if (spec.width > 0 && bytes.length > spec.width) bytes = bytes.subarray(0, spec.width);
    shown = bytes;
  } else {
    if (spec.width > 0 && bytes.length > spec.width) bytes = bytes.subarray(0, spec.width);
    if (spec.width > 0) bytes = bytes.subarray(0, Math.floor(bytes.length / 2));
    const hex = bytes.toString('hex');
    shown = Buffer.from(mode === 'HEX' ? hex.toUpperCase() : hex);
  }
  const padding = spec.width - shown.length;
  if (padding <= 0) return shown;
  const fill = Buffer.alloc(padding, spec.zeroPad && !spec.leftAlign ? '0' : ' ');
  return spec.leftAlign ? Buffer.concat([shown, fill]) : Buffer.concat([fill, shown]);
}
