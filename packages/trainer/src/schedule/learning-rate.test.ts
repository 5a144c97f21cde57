import { describe, expect, it } from 'vitest';
import { type LearningRateSchedule, learningRateAt, validateSchedule } from './learning-rate.js';

/** nanoGPT's get_lr, transcribed from train.py, as an independent oracle. */
function nanoGptLr(it: number, lr: number, minLr: number, warmupIters: number, decayIters: number) {
  if (it < warmupIters) return (lr * (it + 1)) / (warmupIters + 1);
  if (it > decayIters) return minLr;
  const decayRatio = (it - warmupIters) / (decayIters - warmupIters);
  const coeff = 0.5 * (1.0 + Math.cos(Math.PI * decayRatio));
  return minLr + coeff * (lr - minLr);
}

describe('learningRateAt', () => {
  it('constant: warmup then flat', () => {
    const s: LearningRateSchedule = { type: 'constant', lr: 0.01, warmupSteps: 4 };
    expect(learningRateAt(s, 0)).toBeCloseTo(0.002, 12);
    expect(learningRateAt(s, 3)).toBeCloseTo(0.008, 12);
    expect(learningRateAt(s, 4)).toBe(0.01);
    expect(learningRateAt({ type: 'constant', lr: 0.5 }, 1000)).toBe(0.5);
  });

  it('cosine matches nanoGPT get_lr at every step', () => {
    const s: LearningRateSchedule = {
      type: 'cosine',
      maxLr: 6e-4,
      minLr: 6e-5,
      warmupSteps: 20,
      decaySteps: 200,
    };
    for (let step = 0; step < 260; step++) {
      expect(learningRateAt(s, step)).toBeCloseTo(nanoGptLr(step, 6e-4, 6e-5, 20, 200), 15);
    }
    expect(learningRateAt(s, 20)).toBeCloseTo(6e-4, 15);
    expect(learningRateAt(s, 110)).toBeCloseTo((6e-4 + 6e-5) / 2, 15);
    expect(learningRateAt(s, 1000)).toBe(6e-5);
    expect(learningRateAt({ type: 'cosine', maxLr: 1, decaySteps: 10 }, 50)).toBeCloseTo(0.1, 15);
  });

  it('linear: warmup, straight line down, floor', () => {
    const s: LearningRateSchedule = {
      type: 'linear',
      maxLr: 1,
      minLr: 0.2,
      warmupSteps: 0,
      decaySteps: 8,
    };
    expect(learningRateAt(s, 0)).toBe(1);
    expect(learningRateAt(s, 4)).toBeCloseTo(0.6, 12);
    expect(learningRateAt(s, 8)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(s, 9)).toBe(0.2);
  });

  it('warmup-stable-decay in its three phases and shapes', () => {
    const base = {
      type: 'wsd',
      maxLr: 1,
      minLr: 0,
      warmupSteps: 2,
      stableSteps: 5,
      decaySteps: 4,
    } as const;
    expect(learningRateAt(base, 0)).toBeCloseTo(1 / 3, 12);
    expect(learningRateAt(base, 2)).toBe(1);
    expect(learningRateAt(base, 6)).toBe(1);
    expect(learningRateAt(base, 7)).toBe(1);
    expect(learningRateAt(base, 9)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(base, 11)).toBe(0);
    expect(learningRateAt({ ...base, decayShape: 'cosine' }, 9)).toBeCloseTo(0.5, 12);
    expect(learningRateAt({ ...base, decayShape: 'sqrt' }, 8)).toBeCloseTo(0.5, 12);
  });

  it('wsd with decay refits: continuous at each refit, linear progress to the new end', () => {
    const base = {
      type: 'wsd',
      maxLr: 1,
      minLr: 0,
      warmupSteps: 0,
      stableSteps: 10,
      decaySteps: 100,
    } as const;
    // At step 30 the decay is 20% done; the refit ends it at 60 instead of 110, then at 90.
    const refitted: LearningRateSchedule = {
      ...base,
      decayRefits: [
        { step: 30, progress: 0.2, endStep: 60 },
        { step: 50, progress: 0.2 + (0.8 * 20) / 30, endStep: 90 },
      ],
    };
    validateSchedule(refitted);
    for (let step = 0; step < 30; step++) {
      expect(learningRateAt(refitted, step)).toBe(learningRateAt(base, step));
    }
    expect(learningRateAt(refitted, 30)).toBeCloseTo(0.8, 12);
    expect(learningRateAt(refitted, 45)).toBeCloseTo(0.4, 12);
    expect(learningRateAt(refitted, 70)).toBeCloseTo((1 - 0.2 - (0.8 * 20) / 30) * 0.5, 12);
    expect(learningRateAt(refitted, 90)).toBe(0);
    for (let step = 1; step < 100; step++) {
      expect(learningRateAt(refitted, step)).toBeLessThanOrEqual(
        learningRateAt(refitted, step - 1),
      );
    }
    const bad = (refit: { step: number; progress: number; endStep: number }) => () =>
      validateSchedule({ ...base, decayRefits: [refit] });
    expect(bad({ step: 5, progress: 0, endStep: 50 })).toThrow(/decayRefits\[0\]\.step/);
    expect(bad({ step: 30, progress: 0.1, endStep: 50 })).toThrow(/never goes back up/);
    expect(bad({ step: 30, progress: 0.2, endStep: 30 })).toThrow(/endStep/);
  });

  it('is a pure function of the step', () => {
    const s: LearningRateSchedule = { type: 'cosine', maxLr: 1e-3, warmupSteps: 5, decaySteps: 50 };
    const first = Array.from({ length: 60 }, (_, i) => learningRateAt(s, i));
    const reversed = Array.from({ length: 60 }, (_, i) => learningRateAt(s, 59 - i)).reverse();
    expect(reversed).toEqual(first);
  });

  it('rejects bad steps and schedules', () => {
    expect(() => learningRateAt({ type: 'constant', lr: 1 }, -1)).toThrow(RangeError);
    expect(() => learningRateAt({ type: 'constant', lr: 1 }, 1.5)).toThrow(RangeError);
    expect(() =>
      validateSchedule({ type: 'cosine', maxLr: 1, warmupSteps: 10, decaySteps: 5 }),
    ).toThrow(/decaySteps/);
    expect(() => validateSchedule({ type: 'constant', lr: Number.NaN })).toThrow(/lr/);
    expect(() => validateSchedule({ type: 'nope' } as unknown as LearningRateSchedule)).toThrow(
      /Unknown learning-rate schedule/,
    );
  });
});
