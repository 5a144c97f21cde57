import { initBackend } from '@gpt2/backends';
import { tokenDatasetFromArray } from '@gpt2/data';
import { generateText } from '@gpt2/sampler';
import { createFakeTokenizer } from '@gpt2/sampler/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluatePerplexity } from './perplexity.js';
import { unigramBaseline } from './unigram-baseline.js';
import { createUnigramModel } from './unigram-model.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const tokenizer = createFakeTokenizer(8);
const train = tokenDatasetFromArray([0, 0, 0, 0, 1, 1, 2, 3, 0, 0, 4, 5, 6, 0]);

describe('UnigramModel', () => {
  it('predicts the smoothed training frequencies whatever the context', async () => {
    const model = await createUnigramModel({ train, vocabSize: 8, nPositions: 16 });
    const logits = model.forward(
      tf.tensor2d(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        undefined,
        'int32',
      ),
    );
    expect(logits.shape).toEqual([2, 3, 8]);
    const rows = (await logits.array()) as number[][][];
    // counts + 1 = [8, 3, 2, 2, 2, 2, 2, 1] of 22.
    const expected = [8, 3, 2, 2, 2, 2, 2, 1].map((c) => Math.log(c / 22));
    for (const row of rows.flat()) {
      row.forEach((v, i) => {
        expect(v).toBeCloseTo(expected[i]!, 6);
      });
    }
    logits.dispose();
    model.dispose();
  });

  it('scored by evaluatePerplexity, equals unigramBaseline on the same tokens', async () => {
    const model = await createUnigramModel({ train, vocabSize: 8, nPositions: 4 });
    const val = [0, 1, 2, 0, 0, 7, 3, 0, 1, 1];
    const report = await evaluatePerplexity(model, { tokens: val }, { stride: 2 });
    // stride 2 < context 4: every token but the first is scored.
    const baseline = await unigramBaseline({
      train,
      val: tokenDatasetFromArray(val.slice(1)),
      vocabSize: 8,
      tokenBytes: () => 1,
    });
    expect(report.numScored).toBe(val.length - 1);
    expect(report.meanNll).toBeCloseTo(baseline.meanNll, 6);
    model.dispose();
  });

  it('samples through @gpt2/sampler like any model, with a cache, leaking nothing', async () => {
    const model = await createUnigramModel({ train, vocabSize: 8, nPositions: 16 });
    const before = tf.memory().numTensors;
    const greedy = await generateText(model, tokenizer, [3, 4], {
      maxNewTokens: 5,
      temperature: 0,
      stopTokenIds: [],
    });
    expect(greedy.sequences[0]!.tokenIds).toEqual([0, 0, 0, 0, 0]);
    const sampled = await generateText(model, tokenizer, [3], {
      maxNewTokens: 200,
      seed: 1,
      stopTokenIds: [],
    });
    const zeros = sampled.sequences[0]!.tokenIds.filter((t) => t === 0).length;
    // p(0) = 8/22: about 73 of 200.
    expect(zeros).toBeGreaterThan(45);
    expect(zeros).toBeLessThan(100);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects tokens outside the vocabulary and empty validation data', async () => {
    await expect(
      createUnigramModel({ train: tokenDatasetFromArray([0, 9]), vocabSize: 8 }),
    ).rejects.toThrow(/token 1 of the training data is 9/);
    await expect(
      unigramBaseline({ train, val: tokenDatasetFromArray([]), vocabSize: 8, tokenBytes: () => 1 }),
    ).rejects.toThrow(/no tokens/);
    await expect(
      unigramBaseline({
        train,
        val: tokenDatasetFromArray([8]),
        vocabSize: 8,
        tokenBytes: () => 1,
      }),
    ).rejects.toThrow(/outside/);
  });
});
