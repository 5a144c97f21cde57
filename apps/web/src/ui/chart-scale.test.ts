import { describe, expect, it } from 'vitest';
import { computeChartScale, niceTicks } from './chart-scale.js';

describe('niceTicks', () => {
  it('covers the range with steps of 1, 2 or 5 × 10^k', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(2.31, 7.9, 5)).toEqual([2, 4, 6, 8]);
    expect(niceTicks(2.1, 4.2, 5)).toEqual([2, 2.5, 3, 3.5, 4, 4.5]);
    expect(niceTicks(0.1, 0.35, 5)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
  });

  it('widens a zero-width range instead of dividing by zero', () => {
    const ticks = niceTicks(3, 3);
    expect(ticks[0]).toBeLessThan(3);
    expect(ticks[ticks.length - 1]).toBeGreaterThan(3);
  });

  it('rejects non-finite bounds', () => {
    expect(() => niceTicks(0, Number.NaN)).toThrow(RangeError);
  });
});

describe('computeChartScale', () => {
  const size = { width: 400, height: 200, padding: { top: 10, right: 10, bottom: 20, left: 40 } };

  it('maps the tick range onto the plot area, y pointing up', () => {
    const scale = computeChartScale(
      [
        [
          { x: 0, y: 4.2 },
          { x: 50, y: 2.1 },
        ],
        [{ x: 25, y: 3 }],
      ],
      size,
    );
    expect(scale.xMin).toBe(0);
    expect(scale.xMax).toBe(50);
    expect(scale.px(0)).toBe(40);
    expect(scale.px(50)).toBe(390);
    expect(scale.py(scale.yMin)).toBe(180);
    expect(scale.py(scale.yMax)).toBe(10);
    expect(scale.yMin).toBeLessThanOrEqual(2.1);
    expect(scale.yMax).toBeGreaterThanOrEqual(4.2);
  });

  it('skips non-finite points and draws an empty frame with no data', () => {
    const scale = computeChartScale([[{ x: 1, y: Number.NaN }]], size);
    expect(scale.xTicks.length).toBeGreaterThan(1);
    expect(Number.isFinite(scale.py(0.5))).toBe(true);
  });
});
