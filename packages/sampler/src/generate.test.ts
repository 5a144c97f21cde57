import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, generateText } from './generate.js';
import { createFakeModel } from './testing/fake-model.js';
import { createFakeTokenizer } from './testing/fake-tokenizer.js';
import type { GenerationEvent } from './types.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const tokenizer = createFakeTokenizer(64);

async function collect(iterator: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of iterator) events.push(event);
  return events;
}

describe('generate (fake model)', () => {
  it('streams token events whose texts add up to the finish text', async () => {
    const model = createFakeModel();
    const events = await collect(
      generate(model, tokenizer, 'abc', { maxNewTokens: 12, seed: 3, stopTokenIds: [] }),
    );
    const tokens = events.filter((e) => e.type === 'token');
    const finish = events.find((e) => e.type === 'finish');
    expect(tokens).toHaveLength(12);
    expect(finish?.type === 'finish' && finish.reason).toBe('length');
    if (finish?.type !== 'finish') throw new Error('no finish event');
    expect(tokens.map((t) => t.text).join('') + finish.flushedText).toBe(finish.text);
    expect(finish.text).toBe(tokenizer.decode(finish.tokenIds));
    for (const t of tokens) expect(t.logprob).toBeLessThanOrEqual(0);
    model.dispose();
  });

  it('reproduces the pinned tokens of seed 3 (tokens from before the random module moved)', async () => {
    const model = createFakeModel();
    const result = await generateText(model, tokenizer, 'abc', {
      maxNewTokens: 10,
      seed: 3,
      stopTokenIds: [],
    });
    expect(result.sequences[0]!.tokenIds).toEqual([39, 39, 24, 18, 39, 38, 21, 18, 2, 3]);
    model.dispose();
  });

  it('greedy picks the argmax of the model at every step', async () => {
    const model = createFakeModel();
    const result = await generateText(model, tokenizer, 'hello', {
      maxNewTokens: 6,
      temperature: 0,
      stopTokenIds: [],
    });
    // Recompute the greedy path step by step, uncached, straight from the model.
    const ids = tokenizer.encode('hello');
    for (const token of result.sequences[0]?.tokenIds ?? []) {
      const logits = model.forward(tf.tensor2d([ids], undefined, 'int32'));
      const last = (
        await tf.argMax(tf.squeeze(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, 64])), 0).data()
      )[0];
      expect(token).toBe(last);
      ids.push(token);
    }
    model.dispose();
  });

  it('cached and uncached give identical tokens: greedy and seeded sampling, across window slides', async () => {
    const model = createFakeModel({ nPositions: 16 });
    for (const options of [{ greedy: true }, { seed: 11, topK: 20, topP: 0.9 }]) {
      const run = (useCache: boolean) =>
        generateText(model, tokenizer, 'the quick', {
          ...options,
          maxNewTokens: 40,
          stopTokenIds: [],
          useCache,
        });
      const cached = await run(true);
      const uncached = await run(false);
      expect(cached.slides).toBeGreaterThan(0);
      expect(cached.sequences[0]?.tokenIds).toEqual(uncached.sequences[0]?.tokenIds);
      for (const [i, lp] of (cached.sequences[0]?.logprobs ?? []).entries()) {
        expect(lp).toBeCloseTo(uncached.sequences[0]?.logprobs[i] as number, 4);
      }
    }
    model.dispose();
  });

  it('the cache feeds one token per step; a slide re-encodes slideKeepTokens', async () => {
    const model = createFakeModel({ nPositions: 16 });
    const events = await collect(
      generate(model, tokenizer, 'abcd', {
        maxNewTokens: 20,
        greedy: true,
        stopTokenIds: [],
        slideKeepTokens: 5,
      }),
    );
    const slides = events.filter((e) => e.type === 'slide');
    // 4 prompt tokens + 20 new: the window (16) overflows once, at length 17, and keeps 5.
    expect(slides).toEqual([{ type: 'slide', keptTokens: 5, droppedTokens: 12 }]);
    // Prefill 4, 12 single steps, a 5-token rebuild, then 6 single steps.
    expect(model.stats.tokens).toBe(4 + 12 + 5 + 6);
    model.dispose();
  });

  it('is reproducible with a seed and varies without one', async () => {
    const model = createFakeModel();
    const run = (seed?: number) =>
      generateText(model, tokenizer, 'x', {
        maxNewTokens: 20,
        stopTokenIds: [],
        ...(seed === undefined ? {} : { seed }),
      });
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
    model.dispose();
  });

  it('numReturnSequences samples a batch of independent rows', async () => {
    const model = createFakeModel();
    const result = await generateText(model, tokenizer, 'x', {
      maxNewTokens: 10,
      numReturnSequences: 3,
      seed: 1,
      stopTokenIds: [],
    });
    expect(result.sequences).toHaveLength(3);
    expect(new Set(result.sequences.map((s) => s.text)).size).toBeGreaterThan(1);
    expect(model.stats.calls).toBe(10);
    model.dispose();
  });

  it('stops on a stop token (EOT by default) and on stop strings', async () => {
    const model = createFakeModel();
    const greedy = await generateText(model, tokenizer, 'ab', {
      maxNewTokens: 10,
      greedy: true,
      stopTokenIds: [],
    });
    const tokens = greedy.sequences[0]?.tokenIds ?? [];
    const stopAt = tokens[3] as number;
    const byToken = await generateText(model, tokenizer, 'ab', {
      maxNewTokens: 10,
      greedy: true,
      stopTokenIds: [stopAt],
    });
    expect(byToken.sequences[0]?.finishReason).toBe('stop-token');
    expect(byToken.sequences[0]?.tokenIds).toEqual(tokens.slice(0, tokens.indexOf(stopAt)));
    const stop = greedy.text.slice(4, 6);
    const byString = await generateText(model, tokenizer, 'ab', {
      maxNewTokens: 10,
      greedy: true,
      stop: [stop],
      stopTokenIds: [],
    });
    expect(byString.sequences[0]?.finishReason).toBe('stop-string');
    expect(byString.text).toBe(greedy.text.slice(0, greedy.text.indexOf(stop)));
    // Default stop token: EOT. Forbid everything else, so EOT must come first.
    const eot = tokenizer.eotToken as number;
    const onlyEot = await generateText(model, tokenizer, 'ab', {
      maxNewTokens: 5,
      logitProcessors: [(logits) => logits.fill(Number.NEGATIVE_INFINITY, 0, eot)],
    });
    expect(onlyEot.sequences[0]).toMatchObject({
      finishReason: 'stop-token',
      tokenIds: [],
      text: '',
    });
    model.dispose();
  });

  it('an empty prompt starts from EOT; a long prompt is cut from the left with a warning', async () => {
    const model = createFakeModel({ nPositions: 16 });
    const empty = await collect(
      generate(model, tokenizer, '', { maxNewTokens: 2, seed: 1, stopTokenIds: [] }),
    );
    expect(empty.filter((e) => e.type === 'token')).toHaveLength(2);
    const long = 'abcdefghijklmnopqrstuvwxyz';
    const events = await collect(
      generate(model, tokenizer, long, { maxNewTokens: 3, seed: 1, stopTokenIds: [] }),
    );
    expect(events[0]).toMatchObject({
      type: 'warning',
      code: 'prompt-truncated',
      droppedTokens: 10,
    });
    expect(events.filter((e) => e.type === 'token')).toHaveLength(3);
    model.dispose();
  });

  it('rejects bad options with RangeErrors', async () => {
    const model = createFakeModel();
    const bad = [
      { temperature: -1 },
      { topP: 0 },
      { topP: 1.5 },
      { topK: 0 },
      { minP: 2 },
      { maxNewTokens: -1 },
      { repetitionPenalty: 0 },
      { numBeams: 2, numReturnSequences: 3 },
      { slideKeepTokens: 0 },
      { stopTokenIds: [64] },
      { seed: 0.5 },
    ];
    for (const options of bad) {
      await expect(
        generateText(model, tokenizer, 'a', options),
        JSON.stringify(options),
      ).rejects.toThrow(RangeError);
    }
    await expect(generateText(model, tokenizer, [99], {})).rejects.toThrow(RangeError);
    model.dispose();
  });

  it('aborts with the signal reason', async () => {
    const model = createFakeModel();
    const controller = new AbortController();
    let seen = 0;
    const run = async () => {
      for await (const event of generate(model, tokenizer, 'a', {
        maxNewTokens: 50,
        signal: controller.signal,
        stopTokenIds: [],
      })) {
        if (event.type === 'token' && ++seen === 3) controller.abort(new Error('user stop'));
      }
    };
    await expect(run()).rejects.toThrow('user stop');
    expect(seen).toBe(3);
    model.dispose();
  });

  it('applies user processors', async () => {
    const model = createFakeModel();
    const only = tokenizer.encode('z')[0] as number;
    const result = await generateText(model, tokenizer, 'a', {
      maxNewTokens: 5,
      seed: 2,
      logitProcessors: [
        (logits) => {
          for (let i = 0; i < logits.length; i++)
            if (i !== only) logits[i] = Number.NEGATIVE_INFINITY;
        },
      ],
    });
    expect(result.text).toBe('zzzzz');
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat over 1,000 tokens, with slides', async () => {
    const model = createFakeModel({ nPositions: 64 });
    await generateText(model, tokenizer, 'warm', { maxNewTokens: 5, seed: 1, stopTokenIds: [] });
    const before = tf.memory().numTensors;
    const result = await generateText(model, tokenizer, 'a', {
      maxNewTokens: 1000,
      seed: 1,
      stopTokenIds: [],
      topK: 10,
    });
    expect(result.sequences[0]?.tokenIds).toHaveLength(1000);
    expect(result.slides).toBeGreaterThan(10);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
