import { describe, expect, it } from 'vitest';
import { composeProcessors } from './logit-processor.js';
import {
  noRepeatNgramProcessor,
  presenceFrequencyPenaltyProcessor,
  repetitionPenaltyProcessor,
  suppressTokensProcessor,
} from './penalties.js';

const NEG = Number.NEGATIVE_INFINITY;

describe('repetitionPenaltyProcessor', () => {
  it('divides positive and multiplies negative logits of seen tokens, once per token', () => {
    const logits = Float32Array.from([2, -2, 4, 1]);
    repetitionPenaltyProcessor(2)(logits, { tokens: [0, 1, 1, 0], promptLength: 2, sequence: 0 });
    expect([...logits]).toEqual([1, -4, 4, 1]);
  });
  it('rejects penalty <= 0', () => {
    expect(() => repetitionPenaltyProcessor(0)).toThrow(RangeError);
  });
});

describe('presenceFrequencyPenaltyProcessor', () => {
  it('counts generated tokens only', () => {
    const logits = Float32Array.from([0, 0, 0, 0]);
    presenceFrequencyPenaltyProcessor({ presencePenalty: 0.5, frequencyPenalty: 0.25 })(logits, {
      tokens: [3, 3, 1, 1, 1, 2],
      promptLength: 2,
      sequence: 0,
    });
    // token 1: 3 times → 0.75 + 0.5; token 2: once → 0.25 + 0.5; token 3 only in the prompt.
    expect([...logits]).toEqual([0, -1.25, -0.75, 0]);
  });
});

describe('noRepeatNgramProcessor', () => {
  it('bans tokens that would repeat an n-gram', () => {
    const logits = new Float32Array(5);
    // Bigrams seen: (1,2) (2,3) (3,1); last token 1 → 2 is banned.
    noRepeatNgramProcessor(2)(logits, { tokens: [1, 2, 3, 1], promptLength: 0, sequence: 0 });
    expect([...logits]).toEqual([0, 0, NEG, 0, 0]);
  });
  it('with n = 1 bans every token seen', () => {
    const logits = new Float32Array(4);
    noRepeatNgramProcessor(1)(logits, { tokens: [0, 3], promptLength: 0, sequence: 0 });
    expect([...logits]).toEqual([NEG, 0, 0, NEG]);
  });
  it('does nothing while the sequence is shorter than n - 1', () => {
    const logits = new Float32Array(3);
    noRepeatNgramProcessor(3)(logits, { tokens: [1], promptLength: 0, sequence: 0 });
    expect([...logits]).toEqual([0, 0, 0]);
  });
});

describe('composeProcessors', () => {
  it('runs processors in order, including user functions', () => {
    const logits = Float32Array.from([1, 2, 3]);
    const order: string[] = [];
    const double = (l: Float32Array) => {
      order.push('double');
      for (let i = 0; i < l.length; i++) l[i] = (l[i] as number) * 2;
    };
    composeProcessors(double, suppressTokensProcessor([1]), (l) => {
      order.push('check');
      expect(l[1]).toBe(NEG);
    })(logits, { tokens: [], promptLength: 0, sequence: 0 });
    expect([...logits]).toEqual([2, NEG, 6]);
    expect(order).toEqual(['double', 'check']);
  });
});
