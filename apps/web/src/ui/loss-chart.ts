import { type ChartPoint, computeChartScale, DEFAULT_CHART_PADDING } from './chart-scale.js';

/** Colours of the two series; the legend uses the same. */
export const SERIES_COLOURS = { train: '#2563eb', val: '#ea580c' } as const;

/** A canvas line chart of train and validation loss by step. */
export class LossChart {
  readonly canvas: HTMLCanvasElement;
  readonly train: ChartPoint[] = [];
  readonly val: ChartPoint[] = [];
  #frame = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    new ResizeObserver(() => this.#schedule()).observe(canvas);
  }

  /** Add a point; redraws on the next animation frame (many points per frame cost one draw). */
  add(series: 'train' | 'val', point: ChartPoint): void {
    this[series].push(point);
    const { dataset } = this.canvas;
    dataset.points = String(this.train.length + this.val.length);
    // First and latest values, readable without pixels (tests, assistive tech).
    dataset[`${series}First`] ??= String(point.y);
    dataset[`${series}Last`] = String(point.y);
    this.#schedule();
  }

  clear(): void {
    this.train.length = 0;
    this.val.length = 0;
    const { dataset } = this.canvas;
    dataset.points = '0';
    for (const key of ['trainFirst', 'trainLast', 'valFirst', 'valLast']) delete dataset[key];
    this.#schedule();
  }

  #schedule(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.draw();
    });
  }

  /** Draw now, at the canvas's CSS size times the device pixel ratio (sharp on HiDPI). */
  draw(): void {
    const { canvas } = this;
    const width = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 240;
    const ratio = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const context = canvas.getContext('2d');
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const scale = computeChartScale([this.train, this.val], { width, height });
    const padding = DEFAULT_CHART_PADDING;

    context.font = '11px system-ui, sans-serif';
    context.strokeStyle = '#e5e7eb';
    context.fillStyle = '#6b7280';
    context.lineWidth = 1;
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (const tick of scale.yTicks) {
      const y = Math.round(scale.py(tick)) + 0.5;
      context.beginPath();
      context.moveTo(padding.left, y);
      context.lineTo(width - padding.right, y);
      context.stroke();
      context.fillText(formatTick(tick), padding.left - 6, y);
    }
    context.textAlign = 'center';
    context.textBaseline = 'top';
    for (const tick of scale.xTicks) {
      const x = Math.round(scale.px(tick)) + 0.5;
      context.fillText(formatTick(tick), x, height - padding.bottom + 6);
    }
    context.strokeStyle = '#9ca3af';
    context.beginPath();
    context.moveTo(padding.left + 0.5, padding.top);
    context.lineTo(padding.left + 0.5, height - padding.bottom + 0.5);
    context.lineTo(width - padding.right, height - padding.bottom + 0.5);
    context.stroke();

    for (const name of ['train', 'val'] as const) {
      const points = this[name];
      if (points.length === 0) continue;
      context.strokeStyle = SERIES_COLOURS[name];
      context.fillStyle = SERIES_COLOURS[name];
      context.lineWidth = 2;
      context.beginPath();
      points.forEach((point, index) => {
        const x = scale.px(point.x);
        const y = scale.py(point.y);
        if (index === 0) context.moveTo(x, y);
        else context.lineTo(x, y);
      });
      context.stroke();
      // Validation runs rarely: dots make single points visible.
      if (name === 'val') {
        for (const point of points) {
          context.beginPath();
          context.arc(scale.px(point.x), scale.py(point.y), 3, 0, Math.PI * 2);
          context.fill();
        }
      }
    }
    canvas.dataset.drawn = String(this.train.length + this.val.length);
  }
}

function formatTick(value: number): string {
  if (Math.abs(value) >= 1000) return `${(value / 1000).toPrecision(3)}k`;
  return Number.isInteger(value) ? String(value) : value.toPrecision(3).replace(/0+$/, '');
}
