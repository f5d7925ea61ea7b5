/// <reference lib="dom" />
import { h } from './dom.js';
import { axis, rate } from './format.js';

/** One line of a chart. */
export interface Series {
  name: string;
  color: string;
}

const PAD = { left: 48, right: 12, top: 28, bottom: 18 };

/** The smallest 1/2/5 x 10^n at or above `n`, so the axis reads in round numbers. */
export function niceCeiling(n: number): number {
  if (n <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

/**
 * A live line chart drawn on a canvas: the last `capacity` samples, right-aligned,
 * scaled to the largest value shown. No library: a few dozen lines of 2D canvas.
 */
export class LineChart {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly samples: number[][] = [];

  constructor(title: string, private readonly series: Series[], private readonly capacity = 60) {
    this.canvas = h('canvas', { class: 'chart-canvas', role: 'img', 'aria-label': title });
    this.element = h('figure', { class: 'chart' }, h('figcaption', {}, title), this.canvas);
  }

  /** Adds one sample: a value per series, in the order the series were given. */
  push(values: number[]): void {
    this.samples.push(values);
    if (this.samples.length > this.capacity) this.samples.shift();
  }

  draw(): void {
    const ctx = this.resize();
    if (!ctx) return;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    ctx.clearRect(0, 0, width, height);
    const top = niceCeiling(Math.max(0, ...this.samples.flat()));
    this.drawGrid(ctx, width, height, top);
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const x = (i: number) => PAD.left + plotW * ((this.capacity - this.samples.length + i) / (this.capacity - 1));
    const y = (v: number) => PAD.top + plotH * (1 - v / top);
    this.series.forEach((s, k) => {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      this.samples.forEach((values, i) => (i === 0 ? ctx.moveTo(x(i), y(values[k] ?? 0)) : ctx.lineTo(x(i), y(values[k] ?? 0))));
      ctx.stroke();
    });
    this.drawLegend(ctx);
  }

  /** Matches the canvas's pixels to its CSS size, for sharp lines on any screen. */
  private resize(): CanvasRenderingContext2D | null {
    const ratio = window.devicePixelRatio || 1;
    const w = Math.round(this.canvas.clientWidth * ratio);
    const hgt = Math.round(this.canvas.clientHeight * ratio);
    if (this.canvas.width !== w || this.canvas.height !== hgt) {
      this.canvas.width = w;
      this.canvas.height = hgt;
    }
    const ctx = this.canvas.getContext('2d');
    ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  private drawGrid(ctx: CanvasRenderingContext2D, width: number, height: number, top: number): void {
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#6b7280';
    ctx.strokeStyle = '#e5e7eb';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const plotH = height - PAD.top - PAD.bottom;
    for (let i = 0; i <= 4; i++) {
      const yy = Math.round(PAD.top + (plotH * i) / 4) + 0.5;
      ctx.beginPath();
      ctx.moveTo(PAD.left, yy);
      ctx.lineTo(width - PAD.right, yy);
      ctx.stroke();
      ctx.fillText(axis((top * (4 - i)) / 4, top / 4), PAD.left - 6, yy);
    }
    ctx.textAlign = 'left';
    ctx.fillText(`last ${this.capacity} s`, PAD.left, height - 7);
  }

  private drawLegend(ctx: CanvasRenderingContext2D): void {
    const latest = this.samples[this.samples.length - 1] ?? [];
    let xx = PAD.left;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.font = '12px system-ui, sans-serif';
    this.series.forEach((s, k) => {
      ctx.fillStyle = s.color;
      ctx.fillRect(xx, 9, 10, 10);
      ctx.fillStyle = '#111827';
      const label = `${s.name} ${rate(latest[k] ?? 0)}`;
      ctx.fillText(label, xx + 14, 14);
      xx += ctx.measureText(label).width + 32;
    });
  }
}
