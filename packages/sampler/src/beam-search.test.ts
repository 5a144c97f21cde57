import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateText } from './generate.js';
import { createFakeModel } from './testing/fake-model.js';
import { createFakeTokenizer } from './testing/fake-tokenizer.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Sum of log p(continuation) under the model, by brute force over every sequence. */
async function allScores(
  model: ReturnType<typeof createFakeModel>,
  prompt: number[],
  vocab: number,
  length: number,
) {
  const sequences: number[][] = [[]];
  for (let i = 0; i < length; i++) {
    const next: number[][] = [];
    for (const s of sequences) for (let v = 0; v < vocab; v++) next.push([...s, v]);
    sequences.splice(0, sequences.length, ...next);
  }
  const rows = sequences.map((s) => [...prompt, ...s]);
  const logits = model.forward(tf.tensor2d(rows, undefined, 'int32'));
  const logprobs = (await tf.logSoftmax(logits).array()) as number[][][];
  return sequences.map((s, r) => ({
    tokens: s,
    score: s.reduce(
      (sum, token, j) => sum + (logprobs[r]?.[prompt.length - 1 + j]?.[token] as number),
      0,
    ),
  }));
}

describe('beam search', () => {
  it('with enough beams finds the most likely sequence (exhaustive check)', async () => {
    const vocab = 5;
    const model = createFakeModel({ vocabSize: vocab, scale: 1.5 });
    const tokenizer = createFakeTokenizer(vocab);
    const prompt = [1, 2];
    const scores = await allScores(model, prompt, vocab, 3);
    scores.sort((a, b) => b.score - a.score);
    const result = await generateText(model, tokenizer, prompt, {
      numBeams: 25,
      numReturnSequences: 3,
      maxNewTokens: 3,
      lengthPenalty: 0,
      stopTokenIds: [],
    });
    expect(result.sequences.map((s) => s.tokenIds)).toEqual(
      scores.slice(0, 3).map((s) => s.tokens),
    );
    for (const [i, s] of result.sequences.entries())
      expect(s.score).toBeCloseTo(scores[i]?.score as number, 4);
    model.dispose();
  });

  it('returns beams best first, identical with and without the cache', async () => {
    const model = createFakeModel({ nPositions: 12 });
    const tokenizer = createFakeTokenizer();
    const run = (useCache: boolean) =>
      generateText(model, tokenizer, 'ab', {
        numBeams: 4,
        numReturnSequences: 4,
        maxNewTokens: 14,
        useCache,
      });
    const cached = await run(true);
    const uncached = await run(false);
    expect(cached.sequences.map((s) => s.tokenIds)).toEqual(
      uncached.sequences.map((s) => s.tokenIds),
    );
    const scores = cached.sequences.map((s) => s.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    model.dispose();
  });

  it('with the cache feeds one token per beam per step: reordered beams gather cache rows', async () => {
    const model = createFakeModel({ nPositions: 32 });
    const tokenizer = createFakeTokenizer();
    const prompt = [3, 1, 4, 1];
    await generateText(model, tokenizer, prompt, {
      numBeams: 3,
      maxNewTokens: 6,
      stopTokenIds: [],
    });
    // The prompt once, then 3 beams × 1 token for each of the 5 later steps; no re-encoding.
    expect(model.stats).toEqual({ calls: 6, tokens: prompt.length + 5 * 3 });
    model.dispose();
  });

  it('ends beams on the stop token and scores them with the length penalty', async () => {
    const model = createFakeModel();
    const tokenizer = createFakeTokenizer();
    const eot = tokenizer.eotToken as number;
    // Make EOT likely after three generated tokens.
    const result = await generateText(model, tokenizer, 'ab', {
      numBeams: 3,
      maxNewTokens: 10,
      earlyStopping: true,
      logitProcessors: [
        (logits, { tokens, promptLength }) => {
          if (tokens.length - promptLength >= 3) logits[eot] = 100;
        },
      ],
    });
    expect(result.sequences[0]?.finishReason).toBe('stop-token');
    expect(result.sequences[0]?.tokenIds).toHaveLength(3);
    const sequence = result.sequences[0];
    expect(sequence?.score).toBeCloseTo(
      (sequence?.logprobs ?? []).reduce((a, b) => a + b, 0) / 3,
      3,
    );
    model.dispose();
  });
});
