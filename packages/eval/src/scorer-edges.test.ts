/**
 * Every scorer at every small size, against straightforward references: one
 * plain forward pass per window or request and a full log-softmax, written
 * from the protocols' descriptions (Hugging Face's "Perplexity of fixed-length
 * models" loop; lm-evaluation-harness's loglikelihood), not from our code.
 */
import { initBackend } from '@gpt2/backends';
import { createFakeModel } from '@gpt2/sampler/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePerplexity } from './perplexity.js';
import { scoreContinuations } from './score-continuations.js';
import { planStridedWindows } from './strided-windows.js';
import { tokenLogprobs } from './token-logprobs.js';

const VOCAB = 23;
const CONTEXT = 8;
let model: ReturnType<typeof createFakeModel>;

beforeAll(async () => {
  await initBackend('cpu');
  model = createFakeModel({ vocabSize: VOCAB, nPositions: CONTEXT, seed: 5 });
});
afterAll(() => model.dispose());

/** log p(next | prefix) for every position of one row, with a plain forward pass. */
function rowLogprobs(row: readonly number[]): number[][] {
  return tf.tidy(() => {
    const logits = model.forward(tf.tensor2d([row as number[]], [1, row.length], 'int32'));
    return (tf.logSoftmax(logits).arraySync() as number[][][])[0]!;
  });
}

function tokensOf(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7 + 3) % VOCAB);
}

/** Hugging Face's strided loop, transcribed: NLL of every scored token. */
function hfPerplexity(tokens: number[], maxLength: number, stride: number): Map<number, number> {
  const nll = new Map<number, number>();
  let prevEnd = 0;
  for (let begin = 0; begin < tokens.length; begin += stride) {
    const end = Math.min(begin + maxLength, tokens.length);
    const trgLen = end - prevEnd; // may differ from stride on the last loop
    const input = tokens.slice(begin, end);
    const logprobs = rowLogprobs(input);
    // target_ids[:, :-trg_len] = -100; the model shifts labels left by one.
    for (let j = Math.max(input.length - trgLen, 1); j < input.length; j++) {
      nll.set(begin + j, -(logprobs[j - 1]![input[j]!] as number));
    }
    prevEnd = end;
    if (end === tokens.length) break;
  }
  return nll;
}

describe('evaluatePerplexity at every token count', () => {
  for (const stride of [CONTEXT, 5, 3, 1]) {
    it(`stride ${stride}, context ${CONTEXT}: N = 1 … 3·stride + 2 match Hugging Face's loop`, async () => {
      for (let n = 1; n <= 3 * stride + 2 + (stride === 1 ? CONTEXT : 0); n++) {
        const tokens = tokensOf(n);
        if (n < 2) {
          await expect(evaluatePerplexity(model, { tokens }, { stride })).rejects.toThrow(
            /at least 2 tokens/,
          );
          continue;
        }
        const reference = hfPerplexity(tokens, CONTEXT, stride);
        const before = tf.memory().numTensors;
        for (const batchSize of [1, 2]) {
          const report = await evaluatePerplexity(
            model,
            { tokens },
            { stride, batchSize, returnTokenNll: true },
          );
          expect(report.numScored, `N=${n}`).toBe(reference.size);
          const sum = [...reference.values()].reduce((a, b) => a + b, 0);
          expect(report.nllSum, `N=${n}`).toBeCloseTo(sum, 4);
          expect(report.numWindows).toBe(
            planStridedWindows(n, { contextLength: CONTEXT, stride }).length,
          );
          report.tokenNll!.forEach((value, t) => {
            const expected = reference.get(t);
            if (expected === undefined) expect(value, `N=${n} t=${t}`).toBeNaN();
            else expect(value, `N=${n} t=${t}`).toBeCloseTo(expected, 4);
          });
          // Streamed in chunks of 2: the same windows.
          const chunks = Array.from({ length: Math.ceil(n / 2) }, (_, i) =>
            tokens.slice(i * 2, i * 2 + 2),
          );
          const streamed = await evaluatePerplexity(model, { chunks }, { stride, batchSize });
          expect(streamed.nllSum).toBeCloseTo(report.nllSum, 5);
        }
        expect(tf.memory().numTensors).toBe(before);
      }
    });
  }

  it('progress counts exactly the windows run', async () => {
    for (let n = 2; n <= 3 * CONTEXT + 2; n++) {
      let last = 0;
      let total: number | undefined;
      const report = await evaluatePerplexity(
        model,
        { tokens: tokensOf(n) },
        {
          onProgress: (event) => {
            last = event.done;
            total = event.total;
          },
        },
      );
      expect(last).toBe(report.numWindows);
      expect(total, `N=${n}`).toBe(report.numWindows);
    }
  });
});

describe('tokenLogprobs at every row length', () => {
  it('rows of 0 … nPositions + 1 tokens, alone and mixed in one batch, match plain forward passes', async () => {
    const rows = Array.from({ length: CONTEXT + 2 }, (_, n) => tokensOf(n));
    const check = (row: number[], logprobs: Float32Array, width: number, b: number) => {
      if (row.length < 2) return;
      const reference = rowLogprobs(row.slice(0, -1));
      for (let t = 0; t < row.length - 1; t++) {
        expect(logprobs[b * width + t]).toBeCloseTo(reference[t]![row[t + 1]!]!, 4);
      }
    };
    for (const row of rows) {
      const result = await tokenLogprobs(model, [row]);
      expect(result.width).toBe(Math.max(0, row.length - 1));
      expect(result.logprobs.length).toBe(result.width);
      check(row, result.logprobs, result.width, 0);
    }
    const mixed = await tokenLogprobs(model, rows);
    expect(mixed.width).toBe(CONTEXT);
    rows.forEach((row, b) => {
      check(row, mixed.logprobs, mixed.width, b);
    });
    expect(await tokenLogprobs(model, [])).toMatchObject({ width: 0 });
    expect(await tokenLogprobs(model, [[], [4]])).toMatchObject({ width: 0 });
  });

  it('rejects rows too long for the model and tokens outside the vocabulary', async () => {
    await expect(tokenLogprobs(model, [tokensOf(CONTEXT + 2)])).rejects.toThrow(/nPositions/);
    await expect(tokenLogprobs(model, [[1, VOCAB]])).rejects.toThrow(/outside/);
    await expect(tokenLogprobs(model, [[1, -1]])).rejects.toThrow(/outside/);
  });
});

describe('scoreContinuations at every context and continuation length', () => {
  it('matches one plain forward pass over the left-truncated request', async () => {
    const requests = [];
    for (let context = 1; context <= CONTEXT + 3; context++) {
      for (let continuation = 1; continuation <= CONTEXT; continuation++) {
        const all = tokensOf(context + continuation).reverse();
        requests.push({ context: all.slice(0, context), continuation: all.slice(context) });
      }
    }
    for (const batchSize of [1, 3]) {
      const scores = await scoreContinuations(model, requests, { batchSize });
      requests.forEach((request, i) => {
        const all = [...request.context, ...request.continuation];
        const kept = all.slice(Math.max(0, all.length - (CONTEXT + 1)));
        const reference = rowLogprobs(kept.slice(0, -1));
        const start = kept.length - request.continuation.length;
        const expected = request.continuation.map((token, j) => reference[start + j - 1]![token]!);
        const score = scores[i]!;
        expect(score.truncated).toBe(all.length - kept.length);
        expect(score.logprobs.length).toBe(expected.length);
        score.logprobs.forEach((value, j) => {
          expect(value).toBeCloseTo(expected[j]!, 4);
        });
        const greedy = request.continuation.every((token, j) => {
          const row = reference[start + j - 1]!;
          return row.indexOf(Math.max(...row)) === token;
        });
        expect(score.greedy).toBe(greedy);
      });
    }
    expect(await scoreContinuations(model, [])).toEqual([]);
  });

  it('names the request that cannot be scored', async () => {
    await expect(scoreContinuations(model, [{ context: [], continuation: [1] }])).rejects.toThrow(
      /empty context/,
    );
    await expect(scoreContinuations(model, [{ context: [1], continuation: [] }])).rejects.toThrow(
      /empty continuation/,
    );
    await expect(
      scoreContinuations(model, [{ context: [1], continuation: tokensOf(CONTEXT + 1) }]),
    ).rejects.toThrow(/does not fit/);
  });
});
