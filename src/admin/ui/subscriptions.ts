/// <reference lib="dom" />
import { api } from './api.js';
import type { ClientSubscriptionView, Page } from './api-types.js';
import { h, replace } from './dom.js';
import { count } from './format.js';
import { scrollingTable } from './table.js';
import { PolledView } from './view.js';

const PAGE_SIZE = 100;

function options(s: ClientSubscriptionView): string {
  const parts: string[] = [];
  if (s.noLocal) parts.push('no local');
  if (s.retainAsPublished) parts.push('retain as published');
  if (s.retainHandling !== 0) parts.push(`retain handling ${s.retainHandling}`);
  if (s.subscriptionId !== null) parts.push(`id ${s.subscriptionId}`);
  return parts.join(', ');
}

/**
 * Every subscription on the broker, in filter order: searched by filter or client
 * id, or narrowed to those a message on a given topic would reach.
 */
export class SubscriptionsView extends PolledView {
  readonly element: HTMLElement;
  private readonly search = h('input', { type: 'search', id: 'subscription-search', placeholder: 'filter or client id' });
  private readonly topic = h('input', { type: 'search', id: 'subscription-topic', placeholder: 'e.g. home/kitchen/lamp' });
  private readonly rows = h('tbody');
  private readonly status = h('p', { class: 'status', role: 'status' });
  private offset = 0;

  constructor() {
    super(3000);
    for (const input of [this.search, this.topic]) {
      input.addEventListener('input', () => {
        this.offset = 0;
        void this.poller.now();
      });
    }
    this.element = h('section', { class: 'view', 'aria-label': 'Subscriptions' },
      h('h2', {}, 'Subscriptions'),
      h('div', { class: 'toolbar' },
        h('label', { for: 'subscription-search' }, 'Search'), this.search,
        h('label', { for: 'subscription-topic' }, 'Who gets topic'), this.topic),
      scrollingTable(['Filter', 'Client', 'QoS', 'Group', 'Options', 'Status'], this.rows, 'Subscriptions'),
      this.status);
  }

  protected async load(): Promise<void> {
    const query = new URLSearchParams({ offset: String(this.offset), limit: String(PAGE_SIZE) });
    if (this.search.value) query.set('search', this.search.value);
    if (this.topic.value) query.set('topic', this.topic.value);
    try {
      const page = await api<Page<ClientSubscriptionView>>(`/api/v1/subscriptions?${query}`);
      replace(this.rows, ...page.items.map((s) => h('tr', { 'data-filter': s.filter, 'data-client-id': s.clientId },
        h('td', { class: 'mono' }, s.filter),
        h('td', { class: 'mono' }, s.clientId),
        h('td', { class: 'num' }, s.qos),
        h('td', {}, s.shareGroup ?? ''),
        h('td', {}, options(s)),
        h('td', {}, h('span', { class: s.connected ? 'badge ok' : 'badge' }, s.connected ? 'connected' : 'offline')))));
      if (page.items.length === 0) replace(this.rows, h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No subscriptions')));
      const last = Math.min(page.total, page.offset + page.items.length);
      this.status.textContent = page.total === 0 ? '' : `${count(page.offset + 1)}–${count(last)} of ${count(page.total)} subscriptions`;
    } catch (err) {
      this.status.textContent = `Could not load subscriptions: ${(err as Error).message}`;
    }
  }
}
