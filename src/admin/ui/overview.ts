/// <reference lib="dom" />
import type { StatsSnapshot } from './api-types.js';
import { LineChart } from './chart.js';
import { h, replace } from './dom.js';
import { bytes, count, duration, rate } from './format.js';
import type { View } from './view.js';

/** Rates between two snapshots, per second. */
interface Rates {
  publishIn: number;
  publishOut: number;
  bytesIn: number;
  bytesOut: number;
  connects: number;
}

function ratesBetween(a: StatsSnapshot, b: StatsSnapshot): Rates {
  const dt = Math.max(0.001, (b.time - a.time) / 1000);
  const per = (x: number, y: number) => Math.max(0, y - x) / dt;
  return {
    publishIn: per(a.publish.received, b.publish.received),
    publishOut: per(a.publish.sent, b.publish.sent),
    bytesIn: per(a.bytes.received, b.bytes.received),
    bytesOut: per(a.bytes.sent, b.bytes.sent),
    connects: per(a.connections.accepted, b.connections.accepted),
  };
}

/**
 * The overview: figures and live charts of message and connection rates. It is fed
 * every stats snapshot the app polls, shown or not, so its charts have no gaps.
 */
export class OverviewView implements View {
  readonly element: HTMLElement;
  private readonly cards = h('div', { class: 'cards' });
  private readonly messages = new LineChart('Messages per second', [
    { name: 'in', color: '#2563eb' }, { name: 'out', color: '#16a34a' },
  ]);
  private readonly connections = new LineChart('Connections', [
    { name: 'connected', color: '#9333ea' }, { name: 'new per s', color: '#ea580c' },
  ]);
  private previous: StatsSnapshot | undefined;
  private visible = false;

  constructor() {
    this.element = h('section', { class: 'view', 'aria-label': 'Overview' },
      h('h2', {}, 'Overview'), this.cards, h('div', { class: 'charts' }, this.messages.element, this.connections.element));
  }

  /** Takes the next snapshot (called by the app's poller). */
  feed(stats: StatsSnapshot): void {
    const previous = this.previous;
    this.previous = stats;
    if (!previous) return;
    const r = ratesBetween(previous, stats);
    this.messages.push([r.publishIn, r.publishOut]);
    this.connections.push([stats.clients.connected, r.connects]);
    if (this.visible) this.render(stats, r);
  }

  start(): void {
    this.visible = true;
    this.messages.draw();
    this.connections.draw();
  }

  stop(): void {
    this.visible = false;
  }

  private render(s: StatsSnapshot, r: Rates): void {
    const card = (label: string, value: string, note?: string) =>
      h('div', { class: 'card' }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value),
        note ? h('div', { class: 'card-note' }, note) : null);
    replace(this.cards,
      card('Connected clients', count(s.clients.connected), `${count(s.clients.total)} sessions, max ${count(s.clients.maximum)}`),
      card('Messages in', `${rate(r.publishIn)}/s`, `${count(s.publish.received)} total, ${bytes(r.bytesIn)}/s`),
      card('Messages out', `${rate(r.publishOut)}/s`, `${count(s.publish.sent)} total, ${bytes(r.bytesOut)}/s`),
      card('Subscriptions', count(s.subscriptions)),
      card('Retained', count(s.retained)),
      card('Queued', count(s.queued), `${count(s.inflight)} in flight`),
      card('Dropped', count(s.publish.dropped), Object.entries(s.publish.droppedByReason).map(([k, v]) => `${k}: ${count(v)}`).join(', ') || undefined),
      card('Uptime', duration(s.uptimeSeconds), `midge ${s.version}${s.ready ? '' : ' (not ready)'}`),
    );
    this.messages.draw();
    this.connections.draw();
  }
}
