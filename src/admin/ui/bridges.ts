/// <reference lib="dom" />
import { api } from './api.js';
import type { BridgeView } from './api-types.js';
import { h, replace } from './dom.js';
import { ago, count } from './format.js';
import { scrollingTable } from './table.js';
import { PolledView } from './view.js';

/** What each state means to an operator, shown beside it. */
const STATE_HINTS: Record<string, string> = {
  connected: 'carrying messages',
  connecting: 'dialling the remote',
  waiting: 'waiting to try again (restart_timeout)',
  idle: 'lazy below its threshold, or start_type once gave up',
  standby: 'another node of the cluster runs it',
  stopped: 'not running',
};

/**
 * The bridges page (mosquitto's `connection` blocks): each bridge's state, the remote it
 * talks to, its queue (what waits for the remote) and its counters, with the last error,
 * polled every two seconds.
 */
export class BridgesView extends PolledView {
  readonly element: HTMLElement;
  private readonly rows = h('tbody');
  private readonly status = h('p', { class: 'status', role: 'status' });

  constructor() {
    super(2000);
    const columns = ['Bridge', 'State', 'Remote', 'Queued', 'In flight', 'Sent', 'Received', 'Dropped', 'Connects', 'Failures', 'Last error'];
    this.element = h('section', { class: 'view', 'aria-label': 'Bridges' },
      h('h2', {}, 'Bridges'),
      scrollingTable(columns, this.rows, 'Bridges'),
      this.status);
  }

  protected async load(): Promise<void> {
    try {
      const { items } = await api<{ items: BridgeView[] }>('/api/v1/bridges');
      replace(this.rows, ...items.map((b) => row(b)));
      if (items.length === 0) replace(this.rows, h('tr', {}, h('td', { colspan: 11, class: 'empty' }, 'No bridges: add a connection block to the configuration')));
      this.status.textContent = '';
    } catch (err) {
      this.status.textContent = `Could not load bridges: ${(err as Error).message}`;
    }
  }
}

function row(b: BridgeView): HTMLTableRowElement {
  return h('tr', { 'data-bridge': b.name },
    h('td', { class: 'mono' }, b.name),
    h('td', { title: STATE_HINTS[b.state] ?? '' }, h('span', { class: b.state === 'connected' ? 'badge ok' : 'badge' }, b.state), ' ', h('small', { class: 'empty' }, ago(b.since))),
    h('td', { class: 'mono' }, b.address ?? '', h('br'), h('small', { class: 'empty' }, `as ${b.remoteClientId}`)),
    h('td', { class: 'num' }, count(b.queued)),
    h('td', { class: 'num' }, count(b.inflight)),
    h('td', { class: 'num' }, count(b.messagesSent)),
    h('td', { class: 'num' }, count(b.messagesReceived)),
    h('td', { class: 'num' }, count(b.messagesDropped)),
    h('td', { class: 'num' }, count(b.connects)),
    h('td', { class: 'num' }, count(b.connectFailures)),
    h('td', {}, b.lastError ?? ''));
}
