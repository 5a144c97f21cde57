import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BigramModel, createArraySource, patternTokens } from './__fixtures__/fake-model.js';
import { loadCheckpointWeights } from './checkpoint/checkpointer.js';
import { createMemoryCheckpointStore } from './checkpoint/memory-checkpoint-store.js';
import { latestCheckpoint } from './checkpoint/naming.js';
import { trainableParameters } from './config.js';
import { NonFiniteError } from './errors/non-finite-error.js';
import type { TrainerEvent } from './events.js';
import { PARAMETERS_WEIGHTS_CODEC } from './gpt2-weights.js';
import type { TrainableModel } from './trainable-model.js';
import { createTrainer } from './trainer.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const V = 16;
const stream = patternTokens(5120, V);
const tokens = stream.slice(0, 4096);
const valTokens = stream.slice(4096);
const codec = PARAMETERS_WEIGHTS_CODEC;

function values(model: BigramModel): number[] {
  return [...model.table.dataSync(), ...model.bias.dataSync()];
}

describe('Trainer on a bigram model', () => {
  it('learns, reports step/eval/stop events and stops at maxSteps', async () => {
    const model = new BigramModel(V);
    const events: TrainerEvent[] = [];
    const trainer = createTrainer({
      model,
      train: createArraySource(tokens, 4, 16),
      val: createArraySource(valTokens, 4, 16),
      weightsCodec: codec,
      config: {
        maxSteps: 60,
        evalInterval: 20,
        evalBatches: 4,
        schedule: { type: 'cosine', maxLr: 0.1, warmupSteps: 5, decaySteps: 60 },
        optimizer: { weightDecay: 0 },
      },
      onEvent: (e) => events.push(e),
    });
    const result = await trainer.run();
    expect(result.reason).toBe('max-steps');
    expect(result.step).toBe(60);
    expect(result.losses).toHaveLength(60);
    const evals = events.filter((e) => e.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([0, 20, 40, 60]);
    expect(evals.at(-1)!.valLoss).toBeLessThan(0.6 * evals[0]!.valLoss);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps).toHaveLength(60);
    const first = steps[0]!;
    expect(first.step).toBe(1);
    expect(first.lr).toBeCloseTo(0.1 / 6, 10);
    expect(first.tokens).toBe(64);
    expect(first.tokensPerSecond).toBeGreaterThan(0);
    expect(first.gradNorm).toBeGreaterThan(0);
    expect(first.etaMs).toBeGreaterThanOrEqual(0);
    expect(first.mfu).toBeUndefined(); // no peak FLOP/s, no model config
    expect(steps.at(-1)!.etaMs).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'stop', reason: 'max-steps', step: 60 });
    expect(model.lossCalls.some((c) => c.training === false)).toBe(true);
    trainer.dispose();
    model.dispose();
  });

  it('gradient accumulation over 4 micro-batches equals one 4× batch', async () => {
    const run = async (batchSize: number, accumulation: number) => {
      const model = new BigramModel(V, 7);
      const trainer = createTrainer({
        model,
        train: createArraySource(tokens, batchSize, 8),
        weightsCodec: codec,
        config: {
          maxSteps: 5,
          gradientAccumulationSteps: accumulation,
          schedule: { type: 'constant', lr: 0.05 },
          gradClip: 1.0,
        },
      });
      const result = await trainer.run();
      const out = { losses: result.losses, params: values(model) };
      trainer.dispose();
      model.dispose();
      return out;
    };
    const big = await run(8, 1);
    const accumulated = await run(2, 4);
    accumulated.losses.forEach((l, i) => {
      expect(l).toBeCloseTo(big.losses[i]!, 5);
    });
    const maxDiff = Math.max(...accumulated.params.map((p, i) => Math.abs(p - big.params[i]!)));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('saves every M steps, keeps the last K plus the best, and resumes to the bit', async () => {
    const store = createMemoryCheckpointStore();
    const make = (model: BigramModel, maxSteps: number) =>
      createTrainer({
        model,
        train: createArraySource(tokens, 4, 8),
        val: createArraySource(valTokens, 2, 8),
        store,
        weightsCodec: codec,
        config: {
          maxSteps,
          checkpointInterval: 3,
          keepLast: 2,
          evalInterval: 3,
          evalBatches: 2,
          schedule: { type: 'cosine', maxLr: 0.05, warmupSteps: 2, decaySteps: 12 },
        },
      });
    const straightModel = new BigramModel(V, 3);
    const straightTrainer = createTrainer({
      model: straightModel,
      train: createArraySource(tokens, 4, 8),
      weightsCodec: codec,
      config: {
        maxSteps: 12,
        schedule: { type: 'cosine', maxLr: 0.05, warmupSteps: 2, decaySteps: 12 },
      },
    });
    const straight = await straightTrainer.run();

    const firstModel = new BigramModel(V, 3);
    const first = make(firstModel, 7);
    const firstResult = await first.run();
    expect(firstResult.checkpoint).toBe('step-00000007');
    expect((await store.list()).sort()).toEqual(['best', 'step-00000006', 'step-00000007']);
    expect(await latestCheckpoint(store)).toBe('step-00000007');

    const resumedModel = new BigramModel(V, 99); // different init: resume must overwrite it
    const resumed = make(resumedModel, 12);
    expect(await resumed.resume()).toBe('step-00000007');
    expect(resumed.step).toBe(7);
    const second = await resumed.run();
    expect([...firstResult.losses, ...second.losses]).toEqual(straight.losses);
    expect(values(resumedModel)).toEqual(values(straightModel));
    expect(resumedModel.randomCalls).toBe(straightModel.randomCalls); // the model's RNG state came back

    // Fine-tuning start: weights only, from the best checkpoint.
    const tuned = new BigramModel(V, 5);
    const state = await loadCheckpointWeights({
      model: tuned,
      store,
      name: 'best',
      weightsCodec: codec,
    });
    expect(state.bestValLoss).not.toBeNull();
    for (const t of [first, resumed, straightTrainer]) t.dispose();
    for (const m of [straightModel, firstModel, resumedModel, tuned]) m.dispose();
  });

  it('stops on an AbortSignal and on a time limit, saving a checkpoint', async () => {
    const store = createMemoryCheckpointStore();
    const controller = new AbortController();
    const model = new BigramModel(V);
    const events: TrainerEvent[] = [];
    const trainer = createTrainer({
      model,
      train: createArraySource(tokens, 2, 8),
      store,
      weightsCodec: codec,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'step' && e.step === 3) controller.abort();
      },
    });
    const result = await trainer.run();
    expect(result).toMatchObject({ reason: 'aborted', step: 3, checkpoint: 'step-00000003' });
    expect(events.filter((e) => e.type === 'checkpoint')).toMatchObject([
      { name: 'step-00000003', reason: 'stop' },
    ]);
    trainer.dispose();

    let now = 0;
    const timed = createTrainer({
      model,
      train: createArraySource(tokens, 2, 8),
      store,
      weightsCodec: codec,
      clock: () => (now += 10),
      config: { maxTimeMs: 200 },
    });
    const timedResult = await timed.run();
    expect(timedResult.reason).toBe('max-time');
    expect(timedResult.step).toBeGreaterThan(2);
    expect(timedResult.step).toBeLessThan(20);
    timed.dispose();
    model.dispose();
  });

  it('skips non-finite steps, then stops with NonFiniteError and saves nothing', async () => {
    const model = new BigramModel(V);
    let calls = 0;
    const poisonFrom = 3;
    const poisoned: TrainableModel = {
      parameters: () => model.parameters(),
      loss: (ids, targets, options) => {
        calls += 1;
        const loss = model.loss(ids, targets, options);
        if (calls !== poisonFrom && calls < 6) return loss;
        return tf.tidy(() => tf.mul(loss, Number.NaN) as tf.Scalar);
      },
    };
    const store = createMemoryCheckpointStore();
    const events: TrainerEvent[] = [];
    const trainer = createTrainer({
      model: poisoned,
      train: createArraySource(tokens, 2, 8),
      store,
      weightsCodec: codec,
      config: { maxSteps: 50, maxNonFiniteSteps: 3 },
      onEvent: (e) => events.push(e),
    });
    await expect(trainer.run()).rejects.toSatisfy(
      (e: unknown) => NonFiniteError.isInstance(e) && (e as NonFiniteError).consecutive === 3,
    );
    const skips = events.filter((e) => e.type === 'skip');
    expect(skips.map((e) => e.consecutive)).toEqual([1, 1, 2, 3]);
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(events.at(-1)).toMatchObject({ type: 'stop', reason: 'non-finite', step: 4 });
    expect(await store.list()).toEqual([]);
    expect(trainer.step).toBe(4);
    expect(values(model).every(Number.isFinite)).toBe(true);
    trainer.dispose();
    model.dispose();
  });

  it('passes label smoothing to the loss and freezes parameters by name', async () => {
    const model = new BigramModel(V);
    const trainer = createTrainer({
      model,
      train: createArraySource(tokens, 2, 8),
      weightsCodec: codec,
      config: { maxSteps: 1, labelSmoothing: 0.1 },
    });
    await trainer.run();
    expect(model.lossCalls[0]).toEqual({ training: true, labelSmoothing: 0.1 });
    trainer.dispose();
    model.dispose();

    const names = [
      'wte.weight',
      'wpe.weight',
      'h.0.ln_1.weight',
      'h.1.attn.c_attn.weight',
      'h.10.mlp.c_fc.bias',
      'ln_f.bias',
    ];
    const params = new Map(names.map((n) => [n, n]));
    expect([...trainableParameters(params, { embeddings: true, layers: 2 }).keys()]).toEqual([
      'h.10.mlp.c_fc.bias',
      'ln_f.bias',
    ]);
    expect(() => trainableParameters(new Map([['wte.weight', 1]]), { embeddings: true })).toThrow(
      /no parameter/,
    );
  });

  it('keeps tf.memory().numTensors flat over 200 steps with evaluation and checkpoints', async () => {
    const model = new BigramModel(V);
    const counts: number[] = [];
    const make = (maxSteps: number, interval: number) =>
      createTrainer({
        model,
        train: createArraySource(tokens, 2, 8),
        val: createArraySource(valTokens, 2, 8),
        store: createMemoryCheckpointStore(),
        weightsCodec: codec,
        config: {
          maxSteps,
          evalBatches: 2,
          gradientAccumulationSteps: 2,
          evalInterval: interval,
          checkpointInterval: interval,
        },
        onEvent: (e) => {
          if (e.type === 'step' && e.step % 50 === 0) counts.push(tf.memory().numTensors);
        },
      });
    const warmUp = make(10, 5);
    await warmUp.run(); // lazily created kernels and constants exist from here on
    warmUp.dispose();
    const before = tf.memory().numTensors;
    const trainer = make(200, 20);
    // The trainer holds two moments per parameter and nothing else.
    expect(tf.memory().numTensors).toBe(before + 4);
    await trainer.run();
    expect(counts).toEqual([before + 4, before + 4, before + 4, before + 4]);
    expect(tf.memory().numTensors).toBe(before + 4);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('runs by epochs, with the epoch in step events', async () => {
    const model = new BigramModel(V);
    const steps: number[][] = [];
    const trainer = createTrainer({
      model,
      // 64 tokens → 4 batches of 2×8 per epoch, 2 micro-batches per step → 2 steps per epoch.
      train: createArraySource(tokens.slice(0, 64), 2, 8),
      weightsCodec: codec,
      config: { epochs: 3, gradientAccumulationSteps: 2 },
      onEvent: (e) => e.type === 'step' && steps.push([e.step, e.epoch!, e.totalSteps!]),
    });
    const result = await trainer.run();
    expect(result.step).toBe(6);
    expect(steps.map(([, epoch]) => epoch)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(steps.every(([, , total]) => total === 6)).toBe(true);
    trainer.dispose();
    model.dispose();
  });

  it('sizes epochs from windowsPerEpoch and batchSize, never from the opaque sampler state', async () => {
    const model = new BigramModel(V);
    const source = createArraySource(tokens.slice(0, 64), 2, 8);
    const opaque = {
      next: () => source.next(),
      // The state holds no batchSize: the trainer must use the documented properties.
      getState: () => ({ cursor: source.getState().cursor }),
      setState: (state: { [key: string]: unknown }) => source.setState(state),
      windowsPerEpoch: 8,
      batchSize: 2,
    };
    const steps: number[] = [];
    const trainer = createTrainer({
      model,
      train: opaque,
      weightsCodec: codec,
      config: { epochs: 2 },
      onEvent: (e) => e.type === 'step' && steps.push(e.totalSteps!),
    });
    expect((await trainer.run()).step).toBe(8);
    expect(steps.every((total) => total === 8)).toBe(true);
    trainer.dispose();
    const unsized = createTrainer({
      model,
      train: { ...opaque, batchSize: undefined },
      weightsCodec: codec,
      config: { epochs: 2 },
    });
    await expect(unsized.run()).rejects.toThrow(/windowsPerEpoch and batchSize/);
    unsized.dispose();
    model.dispose();
  });

  it('rejects runs without any limit and bad configs', async () => {
    const model = new BigramModel(V);
    const trainer = createTrainer({
      model,
      train: createArraySource(tokens, 2, 8),
      weightsCodec: codec,
    });
    await expect(trainer.run()).rejects.toThrow(/never stops/);
    expect(() =>
      createTrainer({
        model,
        train: createArraySource(tokens, 2, 8),
        config: { gradientAccumulationSteps: 0 },
      }),
    ).toThrow(/gradientAccumulationSteps/);
    trainer.dispose();
    model.dispose();
  });
});
