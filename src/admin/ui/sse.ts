/** One Server-Sent Event with a JSON `data` line, as the admin API sends them. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * Takes the complete events (blocks ending in a blank line) off the front of the
 * text received so far; `rest` is the unfinished tail to keep for the next chunk.
 * Comments (`: keep-alive`) and events without data are skipped.
 */
export function takeEvents(received: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  let rest = received;
  let end: number;
  while ((end = rest.indexOf('\n\n')) >= 0) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
  }
  return { events, rest };
}
