/** A point of a series: x is the step, y the loss. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** A linear map from data to pixels, with round tick values. */
export interface ChartScale {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  xTicks: number[];
  yTicks: number[];
  /** Data x → pixel x. */
  px(x: number): number;
  /** Data y → pixel y (up is larger y, so pixels run the other way). */
  py(y: number): number;
}

/** Options for {@link computeChartScale}. */
export interface ChartScaleOptions {
  /** Canvas width in CSS pixels. */
  width: number;
  /** Canvas height in CSS pixels. */
  height: number;
  /** Space for axes and labels. Default {@link DEFAULT_CHART_PADDING}. */
  padding?: { top: number; right: number; bottom: number; left: number };
  /** Roughly how many ticks per axis. Default 5. */
  tickCount?: number;
}

/** Left room for y labels, bottom for x labels. */
export const DEFAULT_CHART_PADDING = { top: 12, right: 16, bottom: 28, left: 48 } as const;

/**
 * Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^k, as in
 * Heckbert's "nice numbers" (Graphics Gems, 1990).
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(`niceTicks needs finite bounds, got [${min}, ${max}].`);
  }
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / magnitude;
  const step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  // The last tick is the first one at or above max, so every point fits.
  for (let i = 0; i <= 1000; i++) {
    // Rounding keeps 0.30000000000000004 out of the labels.
    const value = Number.parseFloat((first + i * step).toPrecision(12));
    ticks.push(value);
    if (value >= max) break;
  }
  return ticks;
}

/** Fit every point of every series into the plot area, with round ticks at the edges. */
export function computeChartScale(
  series: readonly (readonly ChartPoint[])[],
  options: ChartScaleOptions,
): ChartScale {
  const padding = options.padding ?? DEFAULT_CHART_PADDING;
  const tickCount = options.tickCount ?? 5;
  let xMin = Number.POSITIVE_INFINITY;
  let xMax = Number.NEGATIVE_INFINITY;
  let yMin = Number.POSITIVE_INFINITY;
  let yMax = Number.NEGATIVE_INFINITY;
  for (const points of series) {
    for (const { x, y } of points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
    }
  }
  if (xMin > xMax) {
    // Nothing to draw yet: an empty frame of sensible size.
    xMin = 0;
    xMax = 10;
    yMin = 0;
    yMax = 1;
  }
  const xTicks = niceTicks(xMin, xMax, tickCount);
  const yTicks = niceTicks(yMin, yMax, tickCount);
  const x0 = xTicks[0] ?? xMin;
  const x1 = xTicks[xTicks.length - 1] ?? xMax;
  const y0 = yTicks[0] ?? yMin;
  const y1 = yTicks[yTicks.length - 1] ?? yMax;
  const plotWidth = Math.max(1, options.width - padding.left - padding.right);
  const plotHeight = Math.max(1, options.height - padding.top - padding.bottom);
  return {
    xMin: x0,
    xMax: x1,
    yMin: y0,
    yMax: y1,
    xTicks,
    yTicks,
    px: (x) => padding.left + ((x - x0) / (x1 - x0 || 1)) * plotWidth,
    py: (y) => padding.top + (1 - (y - y0) / (y1 - y0 || 1)) * plotHeight,
  };
}
