import { describe, expect, it } from 'vitest';
import { argmax, logSumExp, sampleFromLogits } from './sampling.js';

function constant(value: number) {
  return { nextFloat: () => value };
}

describe('sampling', () => {
  it('logSumExp is stable and handles -Infinity', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp([Number.NEGATIVE_INFINITY, 0])).toBe(0);
    expect(logSumExp([Number.NEGATIVE_INFINITY])).toBe(Number.NEGATIVE_INFINITY);
  });
  it('argmax takes the first maximum', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
  });
  it('inverts the CDF in index order', () => {
    const logits = [Math.log(0.2), Math.log(0.5), Math.log(0.3)];
    expect(sampleFromLogits(logits, constant(0.1))).toBe(0);
    expect(sampleFromLogits(logits, constant(0.6))).toBe(1);
    expect(sampleFromLogits(logits, constant(0.75))).toBe(2);
    expect(sampleFromLogits(logits, constant(0.999999))).toBe(2);
  });
  it('never picks a masked token', () => {
    const logits = [Number.NEGATIVE_INFINITY, 0, Number.NEGATIVE_INFINITY];
    for (const u of [0, 0.5, 0.9999]) expect(sampleFromLogits(logits, constant(u))).toBe(1);
  });
  it('matches the distribution over many draws', () => {
    let state = 12345;
    const random = {
      nextFloat: () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 2 ** 32;
      },
    };
    const probs = [0.1, 0.6, 0.3];
    const counts = [0, 0, 0];
    const draws = 20000;
    for (let i = 0; i < draws; i++) {
      const index = sampleFromLogits(probs.map(Math.log), random);
      counts[index] = (counts[index] as number) + 1;
    }
    for (const [i, count] of counts.entries())
      expect(count / draws).toBeCloseTo(probs[i] as number, 1);
  });
  it('throws when everything is masked', () => {
    expect(() => sampleFromLogits([Number.NEGATIVE_INFINITY], constant(0))).toThrow(RangeError);
  });
});
