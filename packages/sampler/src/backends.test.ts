import { initBackend } from '@gpt2/backends';
import { GPT2Model, PRESETS } from '@gpt2/model';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { generateText } from './generate.js';
import { compareCachedUncached } from './testing/real-model-checks.js';

// The real model and the real GPT-2 tokenizer, tiny widths: nPositions 32 so 40 new tokens slide the window.
const config = { ...PRESETS['gpt2-tiny'], vocabSize: 50257, nPositions: 32 };

describe.each(['cpu', 'wasm'] as const)(
  'generate on the %s backend (real GPT2Model, gpt2 tokenizer)',
  (backend) => {
    it('cached and uncached generation give identical tokens: greedy and seeded sampling', async () => {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
      const tokenizer = await gpt2Tokenizer();
      const model = GPT2Model.create(config, { seed: 7 });
      // Warm up both paths: the model builds constants (masks) once, which are not leaks.
      await compareCachedUncached(model, tokenizer, 'Hi', { maxNewTokens: 2, seed: 1 });
      for (const options of [{ greedy: true }, { seed: 3, topK: 50, temperature: 0.8 }]) {
        const result = await compareCachedUncached(model, tokenizer, 'Once upon a time', {
          ...options,
          maxNewTokens: 40,
          stopTokenIds: [],
        });
        expect(result.slides).toBeGreaterThan(0);
        expect(result.cached).toHaveLength(40);
        expect(result.cached).toEqual(result.uncached);
        expect(result.maxLogprobDifference).toBeLessThan(1e-3);
        expect(result.leakedTensors).toBe(0);
      }
      model.dispose();
    });

    it('beam search gives identical beams with and without the cache (KVCache.select)', async () => {
      await initBackend(backend);
      const tokenizer = await gpt2Tokenizer();
      const model = GPT2Model.create(config, { seed: 8 });
      const options = { numBeams: 3, numReturnSequences: 3, maxNewTokens: 12, stopTokenIds: [] };
      await generateText(model, tokenizer, 'Once upon', { ...options, maxNewTokens: 2 }); // builds the mask
      const before = tf.memory().numTensors;
      const cached = await generateText(model, tokenizer, 'Once upon', options);
      const uncached = await generateText(model, tokenizer, 'Once upon', {
        ...options,
        useCache: false,
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(cached.sequences.map((s) => s.tokenIds)).toEqual(
        uncached.sequences.map((s) => s.tokenIds),
      );
      for (const [i, s] of cached.sequences.entries())
        expect(s.score).toBeCloseTo(uncached.sequences[i]?.score as number, 3);
      model.dispose();
    });
  },
);

describe('memory', () => {
  it('tf.memory().numTensors is flat over 1,000 generated tokens (tiny model, cpu)', async () => {
    await initBackend('cpu');
    const tokenizer = await gpt2Tokenizer();
    // gpt2-tiny as is (vocabulary 512: ids the GPT-2 tokenizer decodes), prompts as ids.
    const model = GPT2Model.create(PRESETS['gpt2-tiny'], { seed: 1 });
    await generateText(model, tokenizer, [1, 2, 3], {
      maxNewTokens: 70,
      seed: 1,
      stopTokenIds: [],
    });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    let tokens = 0;
    const { generate } = await import('./generate.js');
    for await (const event of generate(model, tokenizer, [1, 2, 3], {
      maxNewTokens: 1000,
      seed: 2,
      stopTokenIds: [],
    })) {
      if (event.type === 'token' && ++tokens % 100 === 0) counts.push(tf.memory().numTensors);
    }
    expect(tokens).toBe(1000);
    // During generation only the cache's tensors are alive, and their number never grows.
    expect(Math.max(...counts) - Math.min(...counts)).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
