import * as tf from '@tensorflow/tfjs-core';
import { generateText } from '../generate.js';
import type { GenerateOptions } from '../options.js';
import type { Prompt } from '../prompt.js';
import type { SamplerModel, SamplerTokenizer } from '../types.js';

/** Outcome of {@link compareCachedUncached}. */
export interface CacheComparison {
  cached: number[];
  uncached: number[];
  slides: number;
  /** Largest |logprob difference| between the two paths. */
  maxLogprobDifference: number;
  /** Tensors alive after both runs minus before. */
  leakedTensors: number;
}

/** Generate the same thing with and without the KV cache (used by the per-backend tests). */
export async function compareCachedUncached(
  model: SamplerModel,
  tokenizer: SamplerTokenizer,
  prompt: Prompt,
  options: GenerateOptions,
): Promise<CacheComparison> {
  const before = tf.memory().numTensors;
  const cached = await generateText(model, tokenizer, prompt, { ...options, useCache: true });
  const uncached = await generateText(model, tokenizer, prompt, { ...options, useCache: false });
  const a = cached.sequences[0];
  const b = uncached.sequences[0];
  let maxLogprobDifference = 0;
  a?.logprobs.forEach((lp, i) => {
    maxLogprobDifference = Math.max(
      maxLogprobDifference,
      Math.abs(lp - (b?.logprobs[i] ?? Number.NaN)),
    );
  });
  return {
    cached: a?.tokenIds ?? [],
    uncached: b?.tokenIds ?? [],
    slides: cached.slides,
    maxLogprobDifference,
    leakedTensors: tf.memory().numTensors - before,
  };
}
