import { describe, expect, it } from 'vitest';
import { planStridedWindows } from './strided-windows.js';

/** Hugging Face's loop, transcribed: which tokens each window scores. */
function hfScored(n: number, maxLength: number, stride: number): number[][] {
  const out: number[][] = [];
  let prevEnd = 0;
  for (let begin = 0; begin < n; begin += stride) {
    const end = Math.min(begin + maxLength, n);
    const trgLen = end - prevEnd;
    const scored: number[] = [];
    // labels[:-trg_len] = -100, then the shift drops label 0.
    for (let t = Math.max(end - begin - trgLen, 1); t < end - begin; t++) scored.push(begin + t);
    out.push(scored);
    prevEnd = end;
    if (end === n) break;
  }
  return out;
}

describe('planStridedWindows', () => {
  it('matches the Hugging Face loop for many lengths and strides', () => {
    for (const n of [2, 5, 31, 32, 33, 100, 257]) {
      for (const [L, s] of [
        [32, 16],
        [32, 32],
        [32, 1],
        [8, 3],
      ] as const) {
        const plan = planStridedWindows(n, { contextLength: L, stride: s });
        const scored = plan.map((w) =>
          Array.from({ length: w.end - w.scoreFrom }, (_, i) => w.scoreFrom + i),
        );
        // HF's loop also runs a last window of one token, which scores nothing; the plan leaves it out.
        expect(scored).toEqual(hfScored(n, L, s).filter((window) => window.length > 0));
      }
    }
  });
  it('scores every token but the first exactly once when stride < contextLength', () => {
    const plan = planStridedWindows(100, { contextLength: 32, stride: 16 });
    const scored = plan.flatMap((w) =>
      Array.from({ length: w.end - w.scoreFrom }, (_, i) => w.scoreFrom + i),
    );
    expect(scored).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
    expect(plan.map((w) => w.begin)).toEqual([0, 16, 32, 48, 64, 80]);
  });
  it('with stride = contextLength leaves each window start unscored', () => {
    const plan = planStridedWindows(70, { contextLength: 32, stride: 32 });
    expect(plan).toEqual([
      { begin: 0, end: 32, scoreFrom: 1 },
      { begin: 32, end: 64, scoreFrom: 33 },
      { begin: 64, end: 70, scoreFrom: 65 },
    ]);
  });
  it('leaves out a last window of one token (N = k·stride + 1, stride = contextLength)', () => {
    expect(hfScored(33, 32, 32).at(-1)).toEqual([]);
    expect(planStridedWindows(33, { contextLength: 32, stride: 32 })).toEqual([
      { begin: 0, end: 32, scoreFrom: 1 },
    ]);
  });
  it('rejects bad strides', () => {
    expect(() => planStridedWindows(10, { contextLength: 8, stride: 0 })).toThrow(RangeError);
    expect(() => planStridedWindows(10, { contextLength: 8, stride: 9 })).toThrow(/stride/);
  });
});
