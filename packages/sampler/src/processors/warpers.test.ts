import { describe, expect, it } from 'vitest';
import { minPProcessor, temperatureProcessor, topKProcessor, topPProcessor } from './warpers.js';

const context = { tokens: [], promptLength: 0, sequence: 0 };
const NEG = Number.NEGATIVE_INFINITY;

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

describe('temperatureProcessor', () => {
  it('divides logits by the temperature', () => {
    const logits = Float32Array.from([2, -4, 1]);
    temperatureProcessor(2)(logits, context);
    expect([...logits]).toEqual([1, -2, 0.5]);
  });
  it('rejects temperature <= 0', () => {
    expect(() => temperatureProcessor(0)).toThrow(RangeError);
    expect(() => temperatureProcessor(-1)).toThrow(/temperature/);
  });
});

describe('topKProcessor', () => {
  it('keeps the k largest and masks the rest', () => {
    const logits = Float32Array.from([0.1, 3, -1, 2, 2.5]);
    topKProcessor(2)(logits, context);
    expect([...logits]).toEqual([NEG, 3, NEG, NEG, 2.5]);
  });
  it('keeps ties at the k-th value', () => {
    const logits = Float32Array.from([1, 2, 2, 0]);
    topKProcessor(2)(logits, context);
    expect([...logits]).toEqual([NEG, 2, 2, NEG]);
  });
  it('rejects k < 1 and non-integers', () => {
    expect(() => topKProcessor(0)).toThrow(RangeError);
    expect(() => topKProcessor(1.5)).toThrow(/topK/);
  });
});

describe('topPProcessor', () => {
  it('keeps the smallest prefix whose probability reaches p', () => {
    const raw = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    const logits = Float32Array.from(raw);
    topPProcessor(0.8)(logits, context);
    expect([...logits].map(Number.isFinite)).toEqual([true, true, false, false]);
    const justOver = Float32Array.from(raw);
    topPProcessor(0.81)(justOver, context);
    expect([...justOver].map(Number.isFinite)).toEqual([true, true, true, false]);
  });
  it('always keeps the top token', () => {
    const logits = Float32Array.from([5, 0, 0]);
    topPProcessor(1e-6)(logits, context);
    expect([...logits]).toEqual([5, NEG, NEG]);
  });
  it('agrees with a sort-based reference on random rows', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 20; trial++) {
      const raw = Array.from({ length: 50 }, () => rand() * 8 - 4);
      const p = 0.05 + rand() * 0.9;
      const probs = softmax(raw);
      const order = probs.map((q, i) => [q, i] as const).sort((a, b) => b[0] - a[0]);
      const expected = new Set<number>();
      let cumulative = 0;
      for (const [q, i] of order) {
        if (expected.size > 0 && cumulative >= p) break;
        expected.add(i);
        cumulative += q;
      }
      const logits = Float32Array.from(raw);
      topPProcessor(p)(logits, context);
      const kept = new Set([...logits.keys()].filter((i) => Number.isFinite(logits[i])));
      expect(kept).toEqual(expected);
    }
  });
  it('rejects p outside (0, 1]', () => {
    expect(() => topPProcessor(0)).toThrow(RangeError);
    expect(() => topPProcessor(1.01)).toThrow(/topP/);
  });
});

describe('minPProcessor', () => {
  it('drops tokens below minP times the top probability', () => {
    const logits = Float32Array.from([
      Math.log(0.5),
      Math.log(0.3),
      Math.log(0.04),
      Math.log(0.16),
    ]);
    minPProcessor(0.1)(logits, context);
    expect([...logits].map(Number.isFinite)).toEqual([true, true, false, true]);
  });
  it('rejects minP outside [0, 1]', () => {
    expect(() => minPProcessor(-0.1)).toThrow(RangeError);
    expect(() => minPProcessor(2)).toThrow(/minP/);
  });
});
