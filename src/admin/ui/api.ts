/// <reference lib="dom" />
import type { ErrorView } from './api-types.js';
import { takeEvents } from './sse.js';

/** A refused or failed API call, with the HTTP status. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The credentials live in sessionStorage: they last as long as the tab and are sent
 * only in the Authorization header, never as a cookie another site could ride on.
 */
const STORAGE_KEY = 'midge.authorization';
let unauthorized: (() => void) | undefined;

/** The `Authorization` value for a user name and password (UTF-8, as RFC 7617 allows). */
export function basicAuthorization(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

export function bearerAuthorization(token: string): string {
  return `Bearer ${token}`;
}

export function setAuthorization(value: string | undefined): void {
  if (value === undefined) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, value);
}

export function hasAuthorization(): boolean {
  return sessionStorage.getItem(STORAGE_KEY) !== null;
}

/** Called once whenever the API answers 401 (the app shows the login form again). */
export function onUnauthorized(callback: () => void): void {
  unauthorized = callback;
}

function headersFor(accept: string, authorization: string | null): Record<string, string> {
  const headers: Record<string, string> = { 'x-requested-with': 'midge-dashboard', accept };
  if (authorization) headers.authorization = authorization;
  return headers;
}

/** Calls the REST API; JSON in, JSON out; rejects with an {@link ApiError}. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; authorization?: string } = {}): Promise<T> {
  const headers = headersFor('application/json', init.authorization ?? sessionStorage.getItem(STORAGE_KEY));
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await res.json().catch(() => ({ error: res.statusText }))) as T | ErrorView;
  if (res.status === 401 && init.authorization === undefined) unauthorized?.();
  if (!res.ok) throw new ApiError(res.status, (body as ErrorView).error ?? res.statusText);
  return body as T;
}

/**
 * Reads a Server-Sent Events stream of the API, calling `onEvent` per event until
 * the stream ends or `signal` aborts. Read with fetch, not EventSource, because
 * EventSource cannot send the Authorization header.
 */
export async function streamEvents(path: string, onEvent: (event: string, data: unknown) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, { headers: headersFor('text/event-stream', sessionStorage.getItem(STORAGE_KEY)), signal });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({ error: res.statusText }))) as ErrorView;
    if (res.status === 401) unauthorized?.();
    throw new ApiError(res.status, body.error ?? res.statusText);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const taken = takeEvents(rest + value);
    rest = taken.rest;
    for (const e of taken.events) onEvent(e.event, e.data);
  }
}
