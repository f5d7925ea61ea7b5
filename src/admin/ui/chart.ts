/// <reference lib="dom" />
import { h } from './dom.js';
import { clockTime } from './format.js';
import uPlot from './vendor/uplot.js';

/** One line of a chart. */
export interface Series {
  name: string;
  color: string;
  /** How its values read in the tooltip. */
  format: (value: number) => string;
}

/** How the value axis reads: each tick, knowing the step between ticks. */
export type AxisFormat = (value: number, step: number) => string;

const HEIGHT = 220;

/**
 * A time series chart on uPlot (MIT, served by the broker from /ui/vendor/): a
 * time axis in the browser's local time, a value axis, a legend, and a tooltip
 * with every series' value at the pointer. It takes the browser's width and
 * follows it (phone or desktop). The time axis's labels, the number of points and
 * the time of the first are also kept in `data-time-axis`, `data-points` and
 * `data-from`, so what the canvas shows can be read (tests, assistive tools).
 */
export class TimeChart {
  readonly element: HTMLElement;
  private readonly plot: HTMLElement;
  private readonly tooltip = h('div', { class: 'chart-tooltip', role: 'status' });
  private chart: uPlot | undefined;
  private data: uPlot.AlignedData;

  constructor(title: string, private readonly series: Series[], private readonly axisFormat: AxisFormat) {
    this.plot = h('div', { class: 'chart-plot', role: 'img', 'aria-label': title });
    this.element = h('figure', { class: 'chart' }, h('figcaption', {}, title), this.plot);
    this.data = [[], ...series.map(() => [])];
    new ResizeObserver(() => this.resize()).observe(this.plot);
  }

  /** Replaces the points: epoch ms, then one column per series in the order given. */
  setData(times: number[], columns: number[][]): void {
    this.data = [times.map((t) => t / 1000), ...columns];
    // What the canvas shows, readable without it (tests, assistive tools).
    this.element.dataset.points = String(times.length);
    this.element.dataset.from = times.length > 0 ? new Date(times[0]!).toISOString() : '';
    if (!this.chart) this.create();
    else this.chart.setData(this.data);
  }

  private create(): void {
    const width = this.plot.clientWidth;
    if (width === 0) return;
    this.chart = new uPlot(this.options(width), this.data, this.plot);
    this.chart.over.append(this.tooltip);
  }

  private resize(): void {
    const width = this.plot.clientWidth;
    if (width === 0) return;
    if (!this.chart) this.create();
    else if (width !== this.chart.width) this.chart.setSize({ width, height: HEIGHT });
  }

  private options(width: number): uPlot.Options {
    return {
      width, height: HEIGHT,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      series: [{}, ...this.series.map((s) => ({ label: s.name, stroke: s.color, width: 2, points: { show: false } }))],
      axes: [
        {
          stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' },
          // Room for `hh:mm:ss` between ticks, so the labels never run into each other.
          space: 84,
          values: (u, splits) => this.timeLabels(u, splits),
        },
        {
          stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' },
          values: (_u, splits) => splits.map((v) => this.axisFormat(v, splits.length > 1 ? splits[1]! - splits[0]! : v)),
          // Wide enough for the longest label, so none is cut at the left edge.
          size: (_u, values) => 22 + 7.5 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
        },
      ],
      hooks: { setCursor: [(u) => this.showTooltip(u)] },
    };
  }

  /** Clock times, with seconds when the chart spans less than five minutes. */
  private timeLabels(u: uPlot, splits: number[]): string[] {
    const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
    const labels = splits.map((s) => clockTime(s * 1000, span < 300));
    this.element.dataset.timeAxis = labels.join(' ');
    return labels;
  }

  private showTooltip(u: uPlot): void {
    const i = u.cursor.idx;
    const time = i === null || i === undefined ? undefined : u.data[0][i];
    if (time === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.replaceChildren(h('div', { class: 'chart-tooltip-time' }, clockTime(time * 1000, true)),
      ...this.series.map((s, k) => {
        const v = u.data[k + 1]?.[i!];
        const swatch = h('span', { class: 'swatch' });
        swatch.style.background = s.color;
        return h('div', {}, swatch, `${s.name}: ${v === null || v === undefined ? '–' : s.format(v)}`);
      }));
    this.tooltip.hidden = false;
    // Beside the pointer, flipped to its left near the right edge so it stays inside the chart.
    const left = u.cursor.left;
    const flip = left > u.over.clientWidth / 2;
    this.tooltip.style.left = flip ? '' : `${left + 12}px`;
    this.tooltip.style.right = flip ? `${u.over.clientWidth - left + 12}px` : '';
    this.tooltip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
  }
}
