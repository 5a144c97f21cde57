import { tokenDatasetFromArray } from '@gpt2/data';
import { describe, expect, it } from 'vitest';
import { unigramBaseline } from './unigram-baseline.js';

describe('unigramBaseline', () => {
  it('scores val tokens by add-one smoothed train frequencies', async () => {
    const result = await unigramBaseline({
      train: tokenDatasetFromArray([0, 0, 1]),
      val: tokenDatasetFromArray([0, 1, 1]),
      vocabSize: 3,
      tokenBytes: (id) => id + 1,
    });
    // counts + 1: [3, 2, 1] of 6.
    const nll = -(Math.log(3 / 6) + 2 * Math.log(2 / 6));
    expect(result.numTokens).toBe(3);
    expect(result.meanNll).toBeCloseTo(nll / 3, 12);
    expect(result.perplexity).toBeCloseTo(Math.exp(nll / 3), 12);
    expect(result.bitsPerByte).toBeCloseTo(nll / Math.LN2 / (1 + 2 + 2), 12);
  });

  it('stops at maxTokens', async () => {
    const result = await unigramBaseline({
      train: tokenDatasetFromArray([0, 1]),
      val: tokenDatasetFromArray([0, 1, 1, 1]),
      vocabSize: 2,
      tokenBytes: () => 1,
      maxTokens: 2,
    });
    expect(result.numTokens).toBe(2);
    expect(result.meanNll).toBeCloseTo(Math.log(2), 12);
  });
});
