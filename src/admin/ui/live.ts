/// <reference lib="dom" />
import { streamEvents } from './api.js';
import type { LiveMessageView } from './api-types.js';
import { h, replace } from './dom.js';
import { bytes, clockTime, count } from './format.js';
import type { View } from './view.js';

/** Messages kept on screen; older ones go. */
const KEPT = 200;
/** Characters of a payload shown. */
const SHOWN = 600;

/** What stands for a confidential payload when the dashboard is served over plain HTTP. */
export const WITHHELD = '(confidential: shown only when the admin listener is HTTPS)';

function payloadText(m: LiveMessageView): string {
  if (m.withheld) return `${WITHHELD}, ${bytes(m.size)}`;
  const text = m.encoding === 'utf8' ? m.payload : `base64: ${m.payload}`;
  return text.length > SHOWN || m.truncated ? `${text.slice(0, SHOWN)}… (${bytes(m.size)})` : text;
}

/**
 * The subscribe panel: messages matching a topic filter as they are published,
 * streamed by the admin listener (`GET /api/v1/live`), the matching retained ones
 * first. The server bounds each viewer (a rate; what it cannot send is counted
 * and shown here as "not shown").
 */
export class LiveView implements View {
  readonly element: HTMLElement;
  private readonly filter = h('input', { id: 'live-filter', value: '#', autocomplete: 'off', spellcheck: 'false' });
  private readonly toggle = h('button', { type: 'submit' }, 'Subscribe');
  private readonly list = h('ol', { class: 'live-list', 'aria-label': 'Messages', 'aria-live': 'polite' });
  private readonly status = h('p', { class: 'status', role: 'status' });
  private abort: AbortController | undefined;
  private received = 0;
  private notShown = 0;

  constructor() {
    const form = h('form', { class: 'toolbar', onsubmit: (e) => {
      e.preventDefault();
      if (this.abort) this.close();
      else void this.open();
    } },
    h('label', { for: 'live-filter' }, 'Topic filter'), this.filter, this.toggle,
    h('button', { type: 'button', class: 'secondary', onclick: () => this.clear() }, 'Clear'));
    this.element = h('section', { class: 'view', 'aria-label': 'Subscribe' }, h('h2', {}, 'Subscribe'), form, this.status, this.list);
  }

  start(): void {}

  /** Leaving the page ends the stream: the broker keeps a viewer slot only while someone looks. */
  stop(): void {
    this.close();
  }

  private async open(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.received = 0;
    this.notShown = 0;
    this.toggle.textContent = 'Stop';
    this.filter.disabled = true;
    const filter = this.filter.value || '#';
    this.status.textContent = `Subscribing to ${filter}…`;
    try {
      await streamEvents(`/api/v1/live?filter=${encodeURIComponent(filter)}`, (event, data) => this.onEvent(filter, event, data), abort.signal);
      if (this.abort === abort) this.status.textContent = `The broker ended the feed of ${filter}`;
    } catch (err) {
      if (!abort.signal.aborted) this.status.textContent = `Cannot subscribe: ${(err as Error).message}`;
    } finally {
      if (this.abort === abort) this.reset();
    }
  }

  private close(): void {
    if (!this.abort) return;
    this.abort.abort();
    this.reset();
    this.status.textContent = `Stopped after ${count(this.received)} messages`;
  }

  private reset(): void {
    this.abort = undefined;
    this.toggle.textContent = 'Subscribe';
    this.filter.disabled = false;
  }

  private clear(): void {
    replace(this.list);
  }

  private onEvent(filter: string, event: string, data: unknown): void {
    if (event === 'message') {
      this.received++;
      this.show(data as LiveMessageView);
    } else if (event === 'dropped') {
      const d = data as { total?: number; retained?: number };
      this.notShown += d.total ?? d.retained ?? 0;
    }
    const skipped = this.notShown > 0 ? `, ${count(this.notShown)} not shown (the feed is limited per viewer)` : '';
    this.status.textContent = `Subscribed to ${filter}: ${count(this.received)} messages${skipped}`;
  }

  private show(m: LiveMessageView): void {
    const item = h('li', { class: 'live-item', 'data-topic': m.topic },
      h('div', { class: 'live-head' },
        h('span', { class: 'muted' }, clockTime(m.time, true)),
        h('span', { class: 'mono live-topic' }, m.topic),
        h('span', { class: 'badge' }, `QoS ${m.qos}`),
        m.fromRetained ? h('span', { class: 'badge retained' }, 'retained') : null),
      h('pre', { class: 'live-payload' }, payloadText(m)));
    this.list.prepend(item);
    while (this.list.childElementCount > KEPT) this.list.lastElementChild?.remove();
  }
}
