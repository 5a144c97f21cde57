import { readFile } from 'node:fs/promises';
import { initBackend } from '@gpt2/backends';
import { requireNativeBackend } from '@gpt2/backends/testing';
import { configFromHF, GPT2Model, readSafetensors } from '@gpt2/model';
import { loadWeightsFromFile } from '@gpt2/model/node';
import { createFakeModel, createFakeTokenizer } from '@gpt2/sampler/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluatePerplexity } from './perplexity.js';
import { planStridedWindows } from './strided-windows.js';

const FIXTURES = new URL('../../model/src/__fixtures__/', import.meta.url);

beforeAll(async () => {
  await initBackend('cpu');
});

const BACKENDS = ['cpu', ...((await requireNativeBackend()) ? (['native'] as const) : [])] as const;

describe.each(BACKENDS)(
  'evaluatePerplexity against the PyTorch reference (model fixture) on %s',
  (backend) => {
    it('equals the reference NLL, relative error <= 1e-5', async () => {
      await initBackend(backend);
      const config = configFromHF(
        JSON.parse(await readFile(new URL('config.json', FIXTURES), 'utf8')),
      );
      const model = GPT2Model.create(config, { seed: 0 });
      await loadWeightsFromFile(model, new URL('reference-model.safetensors', FIXTURES).pathname);
      const io = readSafetensors(await readFile(new URL('reference-io.safetensors', FIXTURES)));
      const tensor = (name: string) => {
        const t = io.tensors.get(name);
        if (!t) throw new Error(`fixture has no ${name}`);
        return t.data;
      };
      const meta = JSON.parse(io.metadata.ppl ?? '{}') as { stride?: number; max_length?: number };
      const stride = meta.stride ?? 16;
      const tokens = Array.from(tensor('ppl.tokens'));
      // Warm-up: the model builds its constants (causal mask) once; they are not leaks.
      await evaluatePerplexity(model, { tokens: tokens.slice(0, 40) }, { stride });
      const before = tf.memory().numTensors;
      const report = await evaluatePerplexity(
        model,
        { tokens },
        { stride, returnTokenNll: true, batchSize: 2 },
      );
      expect(tf.memory().numTensors).toBe(before);
      const referenceMean = tensor('ppl.mean_nll')[0] as number;
      expect(report.numScored).toBe(tensor('ppl.n_scored')[0]);
      expect(report.numWindows).toBe(tensor('ppl.window_begins').length);
      const relativeError = Math.abs(report.meanNll - referenceMean) / referenceMean;
      console.info(
        `perplexity parity (${backend}): mean NLL ${report.meanNll} vs ${referenceMean}, relative error ${relativeError.toExponential(2)}`,
      );
      expect(relativeError).toBeLessThanOrEqual(1e-5);
      expect(report.perplexity).toBeCloseTo(tensor('ppl.perplexity')[0] as number, 3);
      const referenceTokens = tensor('ppl.token_nll.f64');
      report.tokenNll?.forEach((nll, t) => {
        const expected = referenceTokens[t] as number;
        if (Number.isNaN(expected)) expect(nll).toBeNaN();
        else expect(Math.abs(nll - expected)).toBeLessThan(1e-4);
      });
      model.dispose();
      await initBackend('cpu');
    });
  },
);

describe('evaluatePerplexity (fake model)', () => {
  const tokenizer = createFakeTokenizer(74);
  const text = 'the cat sat on the mat. A dog ran after the cat, and the cat ran up a tree!';

  it('sums exactly the planned tokens, and streams and batches identically', async () => {
    const model = createFakeModel({ vocabSize: 74, nPositions: 16 });
    const tokens = tokenizer.encode(text);
    const whole = await evaluatePerplexity(model, { tokens }, { stride: 5, returnTokenNll: true });
    // Direct: score each planned window with a plain forward pass.
    let sum = 0;
    for (const w of planStridedWindows(tokens.length, { contextLength: 16, stride: 5 })) {
      const logits = model.forward(tf.tensor2d([tokens.slice(w.begin, w.end)], undefined, 'int32'));
      const logprobs = (await tf.logSoftmax(logits).array()) as number[][][];
      for (let t = w.scoreFrom; t < w.end; t++)
        sum -= logprobs[0]?.[t - w.begin - 1]?.[tokens[t] as number] as number;
    }
    expect(whole.nllSum).toBeCloseTo(sum, 3);
    expect(whole.numScored).toBe(tokens.length - 1);
    const chunks = [tokens.slice(0, 7), tokens.slice(7, 40), tokens.slice(40)];
    async function* stream() {
      for (const chunk of chunks) yield new Uint16Array(chunk);
    }
    for (const source of [{ chunks }, { chunks: stream() }]) {
      const streamed = await evaluatePerplexity(model, source, { stride: 5, batchSize: 3 });
      expect(streamed.nllSum).toBeCloseTo(whole.nllSum, 4);
      expect(streamed.numWindows).toBe(whole.numWindows);
    }
    model.dispose();
  });

  it('reports bits per token and bits per byte (tokenizer-independent)', async () => {
    const model = createFakeModel({ vocabSize: 74, nPositions: 16 });
    const progress: number[] = [];
    const report = await evaluatePerplexity(
      model,
      { text },
      { tokenizer, stride: 8, onProgress: (e) => progress.push(e.done) },
    );
    expect(report.bitsPerToken).toBeCloseTo(report.meanNll / Math.LN2, 10);
    // One byte per token, token 0 unscored.
    expect(report.numBytes).toBe(text.length - 1);
    expect(report.bitsPerByte).toBeCloseTo(report.nllSum / Math.LN2 / (text.length - 1), 10);
    expect(report.perplexity).toBeCloseTo(Math.exp(report.meanNll), 10);
    expect(progress.at(-1)).toBe(report.numWindows);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    model.dispose();
  });

  it('counts UTF-8 bytes of multi-byte text', async () => {
    const model = createFakeModel({ vocabSize: 8, nPositions: 8 });
    // A tokenizer whose tokens decode to 1-, 2-, 3- and 4-byte characters.
    const chars = ['a', 'é', '€', '😀', 'b', 'c', 'd', 'e'];
    const multibyte = {
      eotToken: undefined,
      encode: (s: string) => Array.from(s, (c) => chars.indexOf(c)),
      decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => chars[i]).join(''),
      createStreamDecoder: () => ({ push: (i: number) => chars[i] as string, flush: () => '' }),
    };
    const report = await evaluatePerplexity(model, { text: 'aé€😀b' }, { tokenizer: multibyte });
    expect(report.numBytes).toBe(2 + 3 + 4 + 1);
    model.dispose();
  });

  it('rejects bad input', async () => {
    const model = createFakeModel({ vocabSize: 74, nPositions: 16 });
    await expect(evaluatePerplexity(model, { tokens: [1] })).rejects.toThrow(RangeError);
    await expect(evaluatePerplexity(model, { tokens: [1, 2, 999] })).rejects.toThrow(/outside/);
    await expect(evaluatePerplexity(model, { tokens: [1, 2] }, { stride: 17 })).rejects.toThrow(
      RangeError,
    );
    await expect(
      evaluatePerplexity(model, { tokens: [1, 2] }, { contextLength: 32 }),
    ).rejects.toThrow(/nPositions/);
    await expect(evaluatePerplexity(model, { text: 'x' })).rejects.toThrow(TypeError);
    model.dispose();
  });
});

describe('evaluatePerplexity on text', () => {
  it('scores a literal <|endoftext|> in the data as text, not as a control token', async () => {
    const { gpt2Tokenizer } = await import('@gpt2/tokenizer');
    const { resolveConfig } = await import('@gpt2/model');
    const tokenizer = await gpt2Tokenizer();
    const model = GPT2Model.create(
      resolveConfig({ preset: 'gpt2-tiny', vocabSize: tokenizer.vocabSize }),
      { seed: 1 },
    );
    const text = 'The end.<|endoftext|>A new start.';
    const plain = tokenizer.encode(text, { disallowedSpecial: [] });
    expect(plain).not.toContain(tokenizer.eotToken);
    const report = await evaluatePerplexity(model, { text }, { tokenizer, stride: 8 });
    expect(report.numScored).toBe(plain.length - 1);
    expect(Number.isFinite(report.bitsPerByte)).toBe(true);
    model.dispose();
  });
});
