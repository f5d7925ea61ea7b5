import { takeEvents, type SseEvent } from '../../src/admin/ui/sse.js';

/** A live feed read the way the dashboard reads it: fetch with credentials, events parsed as they come. */
export interface LiveStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Resolves once an event satisfies `test` (rejects after `timeoutMs`). */
  until(test: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens `GET path` on the admin listener as a stream of Server-Sent Events. */
export async function openLive(port: number, path: string, authorization: string): Promise<LiveStream> {
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization }, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const pump = async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let rest = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const taken = takeEvents(rest + decoder.decode(chunk, { stream: true }));
      rest = taken.rest;
      events.push(...taken.events);
      for (const w of waiters) w();
    }
  };
  pump().catch(() => {});
  return {
    status: res.status,
    headers: res.headers,
    events,
    until(test, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(test);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(events).slice(0, 500)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
