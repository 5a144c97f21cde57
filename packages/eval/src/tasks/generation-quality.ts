import {
  type GenerateOptions,
  generateText,
  type SamplerModel,
  type SamplerTokenizer,
} from '@gpt2/sampler';
import type { ProgressCallback } from '../types.js';

/** Distinct-n (Li et al. 2016): unique n-grams ÷ all n-grams, over all sequences together; 0 when there are none. */
export function distinctN(sequences: readonly (readonly number[])[], n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`distinctN: n must be an integer >= 1, got ${n}.`);
  const seen = new Set<string>();
  let total = 0;
  for (const sequence of sequences) {
    for (let i = 0; i + n <= sequence.length; i++) {
      seen.add(sequence.slice(i, i + n).join(','));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

/**
 * Repetition rate, seq-rep-n (Welleck et al. 2019): per sequence, the share of
 * its n-grams that repeat an earlier n-gram of the same sequence
 * (1 − unique/total), averaged over sequences that have any n-gram.
 */
export function repetitionRate(
  sequences: readonly (readonly number[])[],
  n = DEFAULT_REPETITION_N,
): number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`repetitionRate: n must be an integer >= 1, got ${n}.`);
  let sum = 0;
  let counted = 0;
  for (const sequence of sequences) {
    const total = sequence.length - n + 1;
    if (total <= 0) continue;
    const unique = new Set<string>();
    for (let i = 0; i < total; i++) unique.add(sequence.slice(i, i + n).join(','));
    sum += 1 - unique.size / total;
    counted++;
  }
  return counted === 0 ? 0 : sum / counted;
}

/** Default n of {@link repetitionRate}. */
export const DEFAULT_REPETITION_N = 4;

/** Options for {@link evaluateGeneration}: the sampler's options plus these. */
export interface GenerationQualityOptions extends GenerateOptions {
  /** Samples per prompt (drawn as one batch). Default: 1. */
  samplesPerPrompt?: number;
  /** n of the repetition rate. Default: {@link DEFAULT_REPETITION_N} (4). */
  repetitionN?: number;
  /** Called after each prompt. Default: none. */
  onProgress?: ProgressCallback;
}

/** The result of {@link evaluateGeneration}; plain JSON. */
export interface GenerationQualityReport {
  task: 'generation';
  numPrompts: number;
  numSamples: number;
  /** Generated tokens in all. */
  numTokens: number;
  distinct1: number;
  distinct2: number;
  distinct3: number;
  /** seq-rep-n with n = `repetitionN`. */
  repetitionRate: number;
  repetitionN: number;
  /** Mean logprob per generated token under the model itself (temperature 1, no processors). */
  meanLogprob: number;
  /** The samples, prompt by prompt. */
  samples: { prompt: string; texts: string[] }[];
  seconds: number;
}

/**
 * Sample from each prompt and measure diversity (distinct-1/2/3 over all
 * samples), repetition (seq-rep-n) and the mean logprob of the sampled tokens
 * under the model (the sampler reports it per token from the raw logits).
 */
export async function evaluateGeneration(
  model: SamplerModel,
  tokenizer: SamplerTokenizer,
  prompts: readonly string[],
  options: GenerationQualityOptions = {},
): Promise<GenerationQualityReport> {
  const started = performance.now();
  const {
    samplesPerPrompt = 1,
    repetitionN = DEFAULT_REPETITION_N,
    onProgress,
    ...generateOptions
  } = options;
  if (!Number.isInteger(samplesPerPrompt) || samplesPerPrompt < 1) {
    throw new RangeError(
      `evaluateGeneration: samplesPerPrompt must be an integer >= 1, got ${samplesPerPrompt}.`,
    );
  }
  if (prompts.length === 0) throw new RangeError('evaluateGeneration: no prompts.');
  const sequences: number[][] = [];
  const samples: GenerationQualityReport['samples'] = [];
  let logprobSum = 0;
  let numTokens = 0;
  for (const [index, prompt] of prompts.entries()) {
    const result = await generateText(model, tokenizer, prompt, {
      ...generateOptions,
      numReturnSequences: samplesPerPrompt,
      // Distinct seeds per prompt, still reproducible from the one seed.
      ...(generateOptions.seed === undefined ? {} : { seed: generateOptions.seed + index }),
    });
    for (const sequence of result.sequences) {
      sequences.push(sequence.tokenIds);
      numTokens += sequence.tokenIds.length;
      for (const logprob of sequence.logprobs) logprobSum += logprob;
    }
    samples.push({ prompt, texts: result.sequences.map((s) => s.text) });
    onProgress?.({
      task: 'generation',
      done: index + 1,
      total: prompts.length,
      elapsedSeconds: (performance.now() - started) / 1000,
    });
  }
  return {
    task: 'generation',
    numPrompts: prompts.length,
    numSamples: sequences.length,
    numTokens,
    distinct1: distinctN(sequences, 1),
    distinct2: distinctN(sequences, 2),
    distinct3: distinctN(sequences, 3),
    repetitionRate: repetitionRate(sequences, repetitionN),
    repetitionN,
    meanLogprob: numTokens === 0 ? Number.NaN : logprobSum / numTokens,
    samples,
    seconds: (performance.now() - started) / 1000,
  };
}
