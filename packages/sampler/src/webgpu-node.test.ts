import { initBackend } from '@gpt2/backends';
import { longTests, requireSoftwareWebGpu } from '@gpt2/backends/testing';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
import { GPT2Model, PRESETS } from '@gpt2/model';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compareCachedUncached } from './testing/real-model-checks.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
// Minutes on SwiftShader (a pipeline per sequence length): a long check; the browser
// suite compares cached and uncached generation in Chromium by default.
const ready =
  requireSoftwareWebGpu({ swiftshaderPath }) && longTests('cached = uncached on webgpu in Node');

describe.runIf(ready)('generate on webgpu in Node (Dawn on SwiftShader)', () => {
  it('cached and uncached generation give identical tokens: greedy and seeded sampling', async () => {
    await initBackend(createWebgpuBackend({ swiftshaderPath }));
    expect(tf.getBackend()).toBe('webgpu');
    const tokenizer = await gpt2Tokenizer();
    // SwiftShader is slow: vocabulary 512 (ids the GPT-2 tokenizer decodes), 6 positions, prompts as ids.
    const model = GPT2Model.create({ ...PRESETS['gpt2-tiny'], nPositions: 6 }, { seed: 7 });
    await compareCachedUncached(model, tokenizer, [1, 2], {
      maxNewTokens: 2,
      seed: 1,
      stopTokenIds: [],
    });
    for (const options of [{ greedy: true }, { seed: 3, topK: 50 }]) {
      const result = await compareCachedUncached(model, tokenizer, [100, 200, 300], {
        ...options,
        maxNewTokens: 6,
        stopTokenIds: [],
      });
      expect(result.slides).toBeGreaterThan(0);
      expect(result.cached).toEqual(result.uncached);
      expect(result.leakedTensors).toBe(0);
    }
    model.dispose();
  }, 300_000);
});
