import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PayloadView } from './ui/api-types.js';

/** An error with the HTTP status to answer it with; its message goes to the client. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Headers every answer carries: nothing is cached, sniffed or framed. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS, ...headers,
    'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends a text or binary body with its content type. */
export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...COMMON_HEADERS, ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Reads a JSON request body of at most `maxBytes`; a larger body is refused with
 * 413 as soon as it passes the limit, so a client cannot make us buffer without end.
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/json')) throw new HttpError(415, 'send the body as application/json');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

/** A non-negative integer query parameter, or the default when absent. */
export function intParam(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `${name} must be a non-negative integer`);
  return Math.min(n, max);
}

/**
 * A payload as JSON can carry it: UTF-8 text when it is text, base64 otherwise; cut to `max`
 * bytes. A `withheld` payload (confidential, on an admin listener that is not HTTPS) is
 * reduced to its size: what may only travel encrypted never leaves in clear.
 */
export function payloadView(payload: Buffer, max: number, withheld = false): PayloadView {
  if (withheld) return { payload: '', encoding: 'utf8', size: payload.length, truncated: false, withheld: true };
  let end = Math.min(payload.length, max);
  // Cut on a character boundary: never inside a UTF-8 sequence.
  while (end > 0 && end < payload.length && (payload[end]! & 0xc0) === 0x80) end--;
  const cut = payload.subarray(0, end);
  const text = textOf(cut);
  return {
    payload: text ?? cut.toString('base64'),
    encoding: text === undefined ? 'base64' : 'utf8',
    size: payload.length,
    truncated: end < payload.length,
  };
}

/** Valid UTF-8 without control characters other than tab and line breaks; otherwise undefined. */
function textOf(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const text = bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}
