/// <reference lib="dom" />
import { api } from './api.js';
import type { HistorySeriesName, HistoryView, StatsSnapshot } from './api-types.js';
import { TimeChart, type AxisFormat, type Series } from './chart.js';
import { h, replace } from './dom.js';
import { axis, bytes, count, duration, rate } from './format.js';
import { Poller } from './poller.js';
import type { View } from './view.js';

type Point = Record<HistorySeriesName, number>;

/** The figures of one second, from two consecutive stats snapshots: what the server's history samples, live. */
function pointBetween(a: StatsSnapshot, b: StatsSnapshot): Point {
  const dt = Math.max(0.001, (b.time - a.time) / 1000);
  const per = (x: number, y: number) => Math.max(0, y - x) / dt;
  return {
    publishIn: per(a.publish.received, b.publish.received), publishOut: per(a.publish.sent, b.publish.sent),
    bytesIn: per(a.bytes.received, b.bytes.received), bytesOut: per(a.bytes.sent, b.bytes.sent),
    dropped: per(a.publish.dropped, b.publish.dropped), connects: per(a.connections.accepted, b.connections.accepted),
    connected: b.clients.connected, sessions: b.clients.total, subscriptions: b.subscriptions, retained: b.retained,
    queued: b.queued, inflight: b.inflight, heapUsed: 0,
  };
}

/** A chart and the history series it draws. */
interface ChartSpec {
  chart: TimeChart;
  keys: HistorySeriesName[];
}

/** How a kind of figure reads: in the tooltip, and on the value axis. */
interface Reading {
  format: (v: number) => string;
  axis: AxisFormat;
}

const perSecond: Reading = { format: rate, axis };
const whole: Reading = { format: count, axis };
const bytesPerSecond: Reading = { format: (v) => `${bytes(v)}/s`, axis: (v) => bytes(v) };

function chart(title: string, lines: Array<[HistorySeriesName, string, string]>, reading: Reading): ChartSpec {
  const series: Series[] = lines.map(([, name, color]) => ({ name, color, format: reading.format }));
  return { chart: new TimeChart(title, series, reading.axis), keys: lines.map(([key]) => key) };
}

/** The time windows the charts offer, in minutes. */
const WINDOWS: Array<[string, number]> = [['15 min', 15], ['1 h', 60], ['6 h', 360]];

/**
 * The overview: figures, and charts of the last hours. The server keeps the history
 * (a sample every 10 s, `GET /api/v1/history`), so the charts start full and survive
 * a reload; between two samples the charts end in a live tail of the per-second
 * figures the app polls anyway, replaced by the next sample.
 */
export class OverviewView implements View {
  readonly element: HTMLElement;
  private readonly cards = h('div', { class: 'cards' });
  private readonly charts: ChartSpec[] = [
    chart('Messages per second', [['publishIn', 'in', '#2563eb'], ['publishOut', 'out', '#16a34a'], ['dropped', 'dropped', '#dc2626']], perSecond),
    chart('Clients', [['connected', 'connected', '#9333ea'], ['connects', 'new per s', '#ea580c']], whole),
    chart('Bytes per second', [['bytesIn', 'in', '#0891b2'], ['bytesOut', 'out', '#65a30d']], bytesPerSecond),
    chart('Queued messages', [['queued', 'queued', '#b45309'], ['inflight', 'in flight', '#4f46e5']], whole),
  ];
  private readonly windowButtons: HTMLButtonElement[];
  private readonly history = { time: [] as number[], points: [] as Point[] };
  private readonly live: Array<{ time: number; point: Point }> = [];
  private readonly historyPoller = new Poller(() => this.loadHistory(), 10_000);
  private windowMinutes = 15;
  private previous: StatsSnapshot | undefined;
  private capacity = 2160;
  private visible = false;

  constructor() {
    this.windowButtons = WINDOWS.map(([label, minutes]) => h('button', {
      type: 'button', class: 'secondary', 'aria-pressed': String(minutes === this.windowMinutes),
      onclick: () => this.setWindow(minutes),
    }, label));
    this.element = h('section', { class: 'view', 'aria-label': 'Overview' },
      h('h2', {}, 'Overview'), this.cards,
      h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Time window' }, h('span', { class: 'muted' }, 'Show the last'), ...this.windowButtons),
      h('div', { class: 'charts' }, ...this.charts.map((c) => c.chart.element)));
  }

  /** Takes the next stats snapshot (the app polls every second, shown or not). */
  feed(stats: StatsSnapshot): void {
    const previous = this.previous;
    this.previous = stats;
    if (!previous) return;
    const point = pointBetween(previous, stats);
    this.live.push({ time: stats.time, point });
    // The live tail only bridges the gap to the next server sample.
    if (this.live.length > 120) this.live.shift();
    if (this.visible) {
      this.renderCards(stats, point);
      this.draw();
    }
  }

  start(): void {
    this.visible = true;
    this.historyPoller.start();
    this.draw();
  }

  stop(): void {
    this.visible = false;
    this.historyPoller.stop();
  }

  private setWindow(minutes: number): void {
    this.windowMinutes = minutes;
    this.windowButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(WINDOWS[i]![1] === minutes)));
    this.draw();
  }

  private async loadHistory(): Promise<void> {
    const since = this.history.time.at(-1) ?? 0;
    const view = await api<HistoryView>(`/api/v1/history?since=${since}`);
    this.capacity = view.capacity;
    view.time.forEach((t, i) => {
      this.history.time.push(t);
      this.history.points.push(Object.fromEntries(Object.entries(view.series).map(([k, v]) => [k, v[i]!])) as Point);
    });
    const excess = this.history.time.length - this.capacity;
    if (excess > 0) {
      this.history.time.splice(0, excess);
      this.history.points.splice(0, excess);
    }
    this.draw();
  }

  /** Server samples in the window, then the live points newer than the last sample. */
  private draw(): void {
    if (!this.visible) return;
    const from = Date.now() - this.windowMinutes * 60_000;
    const last = this.history.time.at(-1) ?? 0;
    const points: Array<{ time: number; point: Point }> = [];
    this.history.time.forEach((time, i) => {
      if (time >= from) points.push({ time, point: this.history.points[i]! });
    });
    for (const p of this.live) if (p.time > last && p.time >= from) points.push(p);
    const times = points.map((p) => p.time);
    for (const { chart: c, keys } of this.charts) c.setData(times, keys.map((k) => points.map((p) => p.point[k])));
  }

  private renderCards(s: StatsSnapshot, p: Point): void {
    const card = (label: string, value: string, note?: string) =>
      h('div', { class: 'card' }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value),
        note ? h('div', { class: 'card-note' }, note) : null);
    replace(this.cards,
      card('Connected clients', count(s.clients.connected), `${count(s.clients.total)} sessions, max ${count(s.clients.maximum)}`),
      card('Messages in', `${rate(p.publishIn)}/s`, `${count(s.publish.received)} total, ${bytes(p.bytesIn)}/s`),
      card('Messages out', `${rate(p.publishOut)}/s`, `${count(s.publish.sent)} total, ${bytes(p.bytesOut)}/s`),
      card('Subscriptions', count(s.subscriptions)),
      card('Retained', count(s.retained), 'outside $SYS'),
      card('Queued', count(s.queued), `${bytes(s.flow.queuedBytes)}, ${count(s.inflight)} in flight`),
      card('Flow control', `${count(s.flow.publishersPaused)} paused`, flowNote(s.flow)),
      card('Dropped', count(s.publish.dropped), Object.entries(s.publish.droppedByReason).map(([k, v]) => `${k}: ${count(v)}`).join(', ') || undefined),
      card('Uptime', duration(s.uptimeSeconds), `midge ${s.version}${s.ready ? '' : ' (not ready)'}`),
    );
  }
}

/** Publishers held back for lagging subscribers and slow consumers, in a line an operator reads. */
function flowNote(f: StatsSnapshot['flow']): string {
  const slow = `${count(f.slowConsumers)} slow consumer${f.slowConsumers === 1 ? '' : 's'}`;
  return `${slow} now; ${count(f.publisherPauses)} pauses, ${count(f.slowConsumersDisconnected)} slow consumers disconnected since start`;
}
