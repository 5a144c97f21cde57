import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { createFakeModel, createFakeTokenizer } from '@gpt2/sampler/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../errors/dataset-format-error.js';
import { formatReportTable } from '../report-table.js';
import { distinctN, evaluateGeneration, repetitionRate } from './generation-quality.js';
import { evaluateHellaSwag, parseHellaSwag } from './hellaswag.js';
import { evaluateLambada, parseLambada, splitLastWord } from './lambada.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const tokenizer = createFakeTokenizer(74);

/** Write rows as the published JSONL files are written, and read them back as the CLI would. */
async function roundTrip(name: string, rows: unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gpt2-eval-'));
  const path = join(dir, name);
  await writeFile(path, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  return readFile(path, 'utf8');
}

/** Log-probability of `continuation` after `context`, straight from the model's logits. */
async function continuationLogprobs(
  model: ReturnType<typeof createFakeModel>,
  context: number[],
  continuation: number[],
) {
  const logits = model.forward(tf.tensor2d([[...context, ...continuation]], undefined, 'int32'));
  const logprobs = ((await tf.logSoftmax(logits).array()) as number[][][])[0] as number[][];
  logits.dispose();
  let sum = 0;
  let greedy = true;
  continuation.forEach((token, j) => {
    const row = logprobs[context.length - 1 + j] as number[];
    sum += row[token] as number;
    if (row.indexOf(Math.max(...row)) !== token) greedy = false;
  });
  return { sum, greedy };
}

describe('LAMBADA', () => {
  const rows = [
    { text: 'she opened the door and saw her old friend Anna' },
    { text: 'the ship sailed into the harbor at dawn' },
    { text: 'he picked up the phone and called his mother' },
  ];

  it('parses the published JSONL and splits off the last word', async () => {
    const examples = parseLambada(await roundTrip('lambada_test.jsonl', rows));
    expect(examples).toEqual(rows);
    expect(splitLastWord('a b c')).toEqual({ context: 'a b', target: ' c' });
  });

  it('rejects malformed rows with the line number', () => {
    expect(() => parseLambada('{"text": "ok fine"}\n{"txt": "x"}')).toThrow(/line 2/);
    expect(() => parseLambada('not json')).toThrow(DatasetFormatError);
    expect(() => parseLambada('{"text": "oneword"}')).toThrow(/last word/);
    try {
      parseLambada('{"text": 3}');
    } catch (error) {
      expect(DatasetFormatError.isInstance(error)).toBe(true);
    }
  });

  it('accuracy and last-word perplexity match a direct computation', async () => {
    const model = createFakeModel({ vocabSize: 74, nPositions: 64 });
    const examples = parseLambada(await roundTrip('lambada.jsonl', rows));
    const progress: number[] = [];
    const report = await evaluateLambada(model, tokenizer, examples, {
      batchSize: 2,
      onProgress: (e) => progress.push(e.done),
    });
    let nll = 0;
    let correct = 0;
    for (const { text } of examples) {
      const split = splitLastWord(text);
      const direct = await continuationLogprobs(
        model,
        tokenizer.encode(split.context),
        tokenizer.encode(split.target),
      );
      nll -= direct.sum;
      if (direct.greedy) correct++;
    }
    expect(report.accuracy).toBe(correct / examples.length);
    expect(report.meanNll).toBeCloseTo(nll / examples.length, 4);
    expect(report.perplexity).toBeCloseTo(Math.exp(nll / examples.length), 3);
    expect(progress.at(-1)).toBe(examples.length);
    model.dispose();
  });
});

describe('HellaSwag', () => {
  const rows = [
    {
      ind: 24,
      activity_label: 'Roof shingle removal',
      ctx_a: 'A man is sitting on a roof.',
      ctx_b: 'he',
      ctx: 'A man is sitting on a roof. he',
      split: 'val',
      split_type: 'indomain',
      label: 3,
      endings: [
        'is using wrap to wrap a pair of skis.',
        'is ripping level tiles off.',
        "is holding a rubik's cube.",
        'starts pulling up roofing on a roof.',
      ],
      source_id: 'activitynet~v_-JhWjGDPHMY',
    },
    {
      ind: 92,
      activity_label: 'Clean and jerk',
      ctx: 'A lady walks to a barbell. She bends down and grabs the pole. the lady',
      label: '2',
      endings: [
        'swings and lands in her arms.',
        'pulls the barbell forward.',
        'pulls a rope attached to the barbell.',
        'stands and lifts the weight over her head.',
      ],
    },
  ];

  it('parses the published val format (label as number or string)', async () => {
    const examples = parseHellaSwag(await roundTrip('hellaswag_val.jsonl', rows));
    expect(examples.map((e) => e.label)).toEqual([3, 2]);
    expect(examples[0]?.endings).toHaveLength(4);
    expect(examples[0]?.ind).toBe(24);
    expect(() => parseHellaSwag('{"ctx": "a", "endings": ["x", "y"], "label": 5}')).toThrow(
      /label/,
    );
    expect(() => parseHellaSwag('{"ctx": "a", "endings": "x", "label": 0}')).toThrow(/endings/);
  });

  it('acc (summed) and acc_norm (mean per token) match a direct computation', async () => {
    const model = createFakeModel({ vocabSize: 74, nPositions: 128 });
    const clean = (s: string) => s.replace(/[^ a-zA-Z0-9.,!?;:'"()-]/g, '');
    const examples = parseHellaSwag(await roundTrip('hs.jsonl', rows)).map((e) => ({
      ...e,
      ctx: clean(e.ctx),
      endings: e.endings.map(clean),
    }));
    const report = await evaluateHellaSwag(model, tokenizer, examples, { batchSize: 3 });
    let acc = 0;
    let accNorm = 0;
    for (const example of examples) {
      const ctx = tokenizer.encode(example.ctx);
      const scored = await Promise.all(
        example.endings.map(async (ending) => {
          const continuation = tokenizer.encode(` ${ending}`);
          const { sum } = await continuationLogprobs(model, ctx, continuation);
          return { sum, mean: sum / continuation.length };
        }),
      );
      const best = (key: 'sum' | 'mean') =>
        scored.reduce((b, s, i) => (s[key] > (scored[b]?.[key] ?? -Infinity) ? i : b), 0);
      if (best('sum') === example.label) acc++;
      if (best('mean') === example.label) accNorm++;
    }
    expect(report.accuracy).toBe(acc / examples.length);
    expect(report.accuracyNorm).toBe(accNorm / examples.length);
    expect(formatReportTable(report)).toContain('acc_norm');
    model.dispose();
  });
});

describe('generation quality', () => {
  it('distinct-n and repetition rate on hand-checked examples', () => {
    expect(distinctN([[1, 2, 1, 2]], 1)).toBe(0.5);
    expect(distinctN([[1, 2, 1, 2], [3]], 2)).toBeCloseTo(2 / 3);
    expect(distinctN([[1]], 2)).toBe(0);
    // 4-grams of [1,2,3,1,2,3,1]: 1231, 2312, 3123, 1231 → 1 − 3/4.
    expect(repetitionRate([[1, 2, 3, 1, 2, 3, 1]], 4)).toBeCloseTo(0.25);
    expect(repetitionRate([[1, 2, 3, 4, 5]], 4)).toBe(0);
  });

  it('samples prompts and reports distinct-n, repetition and mean logprob', async () => {
    const model = createFakeModel({ vocabSize: 74, nPositions: 32 });
    const report = await evaluateGeneration(model, tokenizer, ['the', 'a dog'], {
      samplesPerPrompt: 2,
      maxNewTokens: 12,
      seed: 4,
      stopTokenIds: [],
    });
    expect(report.numSamples).toBe(4);
    expect(report.numTokens).toBe(48);
    expect(report.distinct1).toBeGreaterThan(0);
    expect(report.distinct1).toBeLessThanOrEqual(1);
    expect(report.meanLogprob).toBeLessThan(0);
    const again = await evaluateGeneration(model, tokenizer, ['the', 'a dog'], {
      samplesPerPrompt: 2,
      maxNewTokens: 12,
      seed: 4,
      stopTokenIds: [],
    });
    expect(again.samples).toEqual(report.samples);
    const table = formatReportTable([report]);
    expect(table).toMatch(/distinct-1 \/ 2 \/ 3/);
    model.dispose();
  });
});
