/// <reference lib="dom" />
import { api } from './api.js';
import type { ClientSummary, Page } from './api-types.js';
import { h, replace } from './dom.js';
import { bytes, count } from './format.js';
import { scrollingTable } from './table.js';
import { PolledView } from './view.js';

const PAGE_SIZE = 50;
const PROTOCOLS: Record<number, string> = { 3: '3.1', 4: '3.1.1', 5: '5.0' };

interface Subscription {
  filter: string;
  qos: number;
  noLocal: boolean;
  shareGroup: string | null;
}

/** The clients page: sessions, paged and searchable, with their subscriptions and a kick button. */
export class ClientsView extends PolledView {
  readonly element: HTMLElement;
  private readonly search = h('input', { type: 'search', id: 'client-search', placeholder: 'client id or user' });
  private readonly onlyConnected = h('input', { type: 'checkbox', id: 'client-connected' });
  private readonly rows = h('tbody');
  private readonly pager = h('div', { class: 'pager' });
  private readonly detail = h('div', { class: 'detail' });
  private readonly status = h('p', { class: 'status', role: 'status' });
  private offset = 0;
  private selected: string | undefined;
  /** The client whose kick button was pressed once and waits for confirmation. */
  private confirming: string | undefined;

  constructor() {
    super(2000);
    this.search.addEventListener('input', () => {
      this.offset = 0;
      void this.poller.now();
    });
    this.onlyConnected.addEventListener('change', () => void this.poller.now());
    this.element = h('section', { class: 'view', 'aria-label': 'Clients' },
      h('h2', {}, 'Clients'),
      h('div', { class: 'toolbar' },
        h('label', { for: 'client-search' }, 'Search'), this.search,
        h('label', { class: 'check' }, this.onlyConnected, 'Connected only')),
      scrollingTable(['Client ID', 'User', 'Address', 'Listener', 'MQTT', 'Subs', 'Queued', 'Dropped', 'Status', ''], this.rows, 'Clients'),
      this.pager, this.status, this.detail);
  }

  protected async load(): Promise<void> {
    const query = new URLSearchParams({ offset: String(this.offset), limit: String(PAGE_SIZE) });
    if (this.search.value) query.set('search', this.search.value);
    if (this.onlyConnected.checked) query.set('connected', 'true');
    try {
      const page = await api<Page<ClientSummary>>(`/api/v1/clients?${query}`);
      replace(this.rows, ...page.items.map((c) => this.row(c)));
      if (page.items.length === 0) replace(this.rows, h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No clients')));
      this.renderPager(page);
      if (this.selected) await this.loadDetail(this.selected);
    } catch (err) {
      this.status.textContent = `Could not load clients: ${(err as Error).message}`;
    }
  }

  private row(c: ClientSummary): HTMLTableRowElement {
    const kick = c.connected
      ? h('button', { type: 'button', class: this.confirming === c.clientId ? 'danger' : 'secondary', onclick: (e) => {
        e.stopPropagation();
        void this.kick(c.clientId);
      } }, this.confirming === c.clientId ? 'Confirm kick' : 'Kick')
      : null;
    const tr = h('tr', { class: c.clientId === this.selected ? 'selected' : undefined, 'data-client-id': c.clientId, onclick: () => {
      this.selected = c.clientId;
      void this.poller.now();
    } },
    h('td', { class: 'mono' }, c.clientId),
    h('td', {}, c.username ?? ''),
    h('td', { class: 'mono' }, c.remoteAddress ? `${c.remoteAddress}:${c.remotePort ?? ''}` : ''),
    h('td', {}, c.listener ?? ''),
    h('td', {}, PROTOCOLS[c.protocolVersion] ?? String(c.protocolVersion)),
    h('td', { class: 'num' }, c.subscriptions),
    h('td', { class: 'num', title: `${bytes(c.queuedBytes)} queued` }, c.queued),
    h('td', { class: 'num', title: droppedTitle(c) }, c.dropped),
    h('td', {}, statusBadge(c)),
    h('td', {}, kick));
    return tr;
  }

  private renderPager(page: Page<ClientSummary>): void {
    const last = Math.min(page.total, page.offset + page.items.length);
    replace(this.pager,
      h('button', { type: 'button', class: 'secondary', disabled: page.offset === 0, onclick: () => this.move(-PAGE_SIZE) }, 'Previous'),
      h('span', {}, page.total === 0 ? '0 clients' : `${count(page.offset + 1)}–${count(last)} of ${count(page.total)}`),
      h('button', { type: 'button', class: 'secondary', disabled: last >= page.total, onclick: () => this.move(PAGE_SIZE) }, 'Next'));
  }

  private move(delta: number): void {
    this.offset = Math.max(0, this.offset + delta);
    void this.poller.now();
  }

  /** First press asks for confirmation, the second kicks (v5 clients get DISCONNECT 0x98). */
  private async kick(clientId: string): Promise<void> {
    if (this.confirming !== clientId) {
      this.confirming = clientId;
      await this.poller.now();
      return;
    }
    this.confirming = undefined;
    try {
      await api(`/api/v1/clients/${encodeURIComponent(clientId)}/kick`, { method: 'POST' });
      this.status.textContent = `Kicked ${clientId}`;
    } catch (err) {
      this.status.textContent = `Could not kick ${clientId}: ${(err as Error).message}`;
    }
    await this.poller.now();
  }

  private async loadDetail(clientId: string): Promise<void> {
    try {
      const subs = await api<{ items: Subscription[] }>(`/api/v1/clients/${encodeURIComponent(clientId)}/subscriptions`);
      replace(this.detail, h('h3', {}, `Subscriptions of ${clientId}`),
        subs.items.length === 0 ? h('p', { class: 'empty' }, 'None') : h('ul', { class: 'subs' }, ...subs.items.map((s) =>
          h('li', {}, h('span', { class: 'mono' }, s.filter), ` QoS ${s.qos}`, s.noLocal ? ' no-local' : '', s.shareGroup ? ` (group ${s.shareGroup})` : ''))));
    } catch {
      this.selected = undefined;
      replace(this.detail);
    }
  }
}

/** Connected, offline, or slow: a slow consumer drained nothing for `slow_consumer_timeout` while backlogged. */
function statusBadge(c: ClientSummary): HTMLElement {
  if (c.connected && c.slow) return h('span', { class: 'badge warn', title: 'reads nothing while messages wait for it' }, 'slow');
  return h('span', { class: c.connected ? 'badge ok' : 'badge' }, c.connected ? 'connected' : 'offline');
}

function droppedTitle(c: ClientSummary): string {
  const reasons = Object.entries(c.droppedByReason).map(([k, v]) => `${k}: ${count(v)}`);
  return reasons.length === 0 ? 'nothing dropped' : reasons.join(', ');
}
