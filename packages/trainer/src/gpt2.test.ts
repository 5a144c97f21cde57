import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gpt2/backends';
import { requireNativeBackend } from '@gpt2/backends/testing';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import {
  configFromHF,
  flopsPerToken,
  type GPT2Config,
  GPT2Model,
  loadWeights,
  readSafetensors,
  resolveConfig,
} from '@gpt2/model';
import { loadModelFolder } from '@gpt2/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingBatchSource } from './batch-source.js';
import { CheckpointMismatchError } from './errors/checkpoint-mismatch-error.js';
import type { StepEvent, TrainerEvent } from './events.js';
import { createNodeCheckpointStore } from './node/node-checkpoint-store.js';
import { createTrainer } from './trainer.js';

const fixtures = fileURLToPath(new URL('../../model/src/__fixtures__/', import.meta.url));

/** The same batch forever (the fixture's protocol: 10 steps on ids/targets). */
function repeatBatch(
  inputs: Int32Array,
  targets: Int32Array,
  batchSize: number,
  blockSize: number,
): TrainingBatchSource {
  return {
    async next() {
      return { inputs, targets, batchSize, blockSize };
    },
    getState: () => ({}),
    setState: () => undefined,
  };
}

const PARITY_BACKENDS = [
  'cpu',
  'wasm',
  ...((await requireNativeBackend()) ? (['native'] as const) : []),
] as const;

describe.each(PARITY_BACKENDS)('AdamW parity with torch.optim.AdamW on %s', (backend) => {
  it('10 steps of losses within 1e-4 relative, grad norms too', async () => {
    await initBackend(backend);
    const config = configFromHF(JSON.parse(await readFile(join(fixtures, 'config.json'), 'utf8')));
    const model = GPT2Model.create(config);
    await loadWeights(
      model,
      new Uint8Array(await readFile(join(fixtures, 'reference-model.safetensors'))),
    );
    const io = readSafetensors(
      new Uint8Array(await readFile(join(fixtures, 'reference-io.safetensors'))),
    );
    const hyper = JSON.parse(io.metadata.adamw!) as Record<string, number>;
    const ids = io.tensors.get('ids')!;
    const targets = io.tensors.get('targets')!;
    const expected = Array.from(io.tensors.get('adamw.losses.f64')!.data);
    const expectedNorms = Array.from(io.tensors.get('adamw.grad_norms.f64')!.data);
    const [B, T] = ids.shape as [number, number];
    const events: StepEvent[] = [];
    const trainer = createTrainer({
      model,
      train: repeatBatch(ids.data as Int32Array, targets.data as Int32Array, B, T),
      config: {
        maxSteps: hyper.steps!,
        schedule: { type: 'constant', lr: hyper.lr! },
        optimizer: {
          beta1: hyper.beta1!,
          beta2: hyper.beta2!,
          eps: hyper.eps!,
          weightDecay: hyper.weight_decay!,
        },
        gradClip: hyper.grad_clip!,
      },
      onEvent: (e) => e.type === 'step' && events.push(e),
    });
    const result = await trainer.run();
    const relative = result.losses.map(
      (l, i) => Math.abs(l - expected[i]!) / Math.abs(expected[i]!),
    );
    const normRelative = events.map(
      (e, i) => Math.abs(e.gradNorm - expectedNorms[i]!) / expectedNorms[i]!,
    );
    console.log(
      `[${backend}] AdamW parity: max loss rel. error ${Math.max(...relative).toExponential(2)}, ` +
        `max grad-norm rel. error ${Math.max(...normRelative).toExponential(2)}; losses ${result.losses.map((l) => l.toFixed(5)).join(' ')}`,
    );
    expect(result.losses).toHaveLength(10);
    expect(Math.max(...relative)).toBeLessThan(1e-4);
    expect(Math.max(...normRelative)).toBeLessThan(1e-3);
    expect(result.losses[9]!).toBeLessThan(result.losses[0]!);
    trainer.dispose();
    model.dispose();
  });
});

describe('the real model on cpu', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'gpt2-trainer-real-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const tiny: GPT2Config = resolveConfig({
    preset: 'gpt2-tiny',
    vocabSize: 48,
    nPositions: 16,
    nEmbd: 16,
    nLayer: 2,
    nHead: 2,
  });
  const stream = Array.from({ length: 3000 }, (_, i) => (i * 7 + (i >> 3)) % 48);
  const trainTokens = tokenDatasetFromArray(stream.slice(0, 2500));
  const valTokens = tokenDatasetFromArray(stream.slice(2500));
  const tokenizer = { toJSON: () => ({ type: 'test-ids', vocabSize: 48 }) };

  function make(
    model: GPT2Model,
    store: ReturnType<typeof createNodeCheckpointStore>,
    maxSteps: number,
  ) {
    return createTrainer({
      model,
      train: createBatchSampler(trainTokens, { batchSize: 2, blockSize: 16, seed: 5 }),
      val: createBatchSampler(valTokens, { batchSize: 2, blockSize: 16, seed: 6 }),
      store,
      tokenizer,
      config: {
        maxSteps,
        checkpointInterval: 4,
        evalInterval: 4,
        evalBatches: 2,
        gradientAccumulationSteps: 2,
        schedule: { type: 'cosine', maxLr: 3e-3, warmupSteps: 3, decaySteps: 10 },
      },
    });
  }

  it('resume is exact to the bit: N straight steps = k steps + resume + N−k', async () => {
    const straightModel = GPT2Model.create(tiny, { seed: 11 });
    const straight = make(
      straightModel,
      createNodeCheckpointStore({ dir: join(dir, 'straight') }),
      10,
    );
    const all = (await straight.run()).losses;

    const store = createNodeCheckpointStore({ dir: join(dir, 'split') });
    const firstModel = GPT2Model.create(tiny, { seed: 11 });
    const first = make(firstModel, store, 6);
    const head = (await first.run()).losses;
    first.dispose();
    firstModel.dispose();

    const resumedModel = GPT2Model.create(tiny, { seed: 999 });
    const resumed = make(resumedModel, store, 10);
    expect(await resumed.resume()).toBe('step-00000006');
    const tail = (await resumed.run()).losses;
    expect(head).toHaveLength(6);
    expect([...head, ...tail]).toEqual(all);
    const a = straightModel.parameters();
    for (const [name, variable] of resumedModel.parameters()) {
      expect(Array.from(variable.dataSync()), name).toEqual(Array.from(a.get(name)!.dataSync()));
    }
    // The checkpoint folder is a Hugging Face model folder too.
    const folder = join(dir, 'split', 'step-00000010');
    expect((await readdir(folder)).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);
    const reloaded = await loadModelFolder(folder);
    expect(Array.from(reloaded.parameters().get('wte.weight')!.dataSync())).toEqual(
      Array.from(resumedModel.parameters().get('wte.weight')!.dataSync()),
    );
    reloaded.dispose();

    // A model config that disagrees with the checkpoint is refused, naming the field.
    const wider = GPT2Model.create({ ...tiny, nEmbd: 32 });
    const mismatched = make(wider, store, 10);
    await expect(mismatched.resume()).rejects.toSatisfy(
      (e: unknown) =>
        CheckpointMismatchError.isInstance(e) &&
        (e as CheckpointMismatchError).field === 'model.nEmbd' &&
        /checkpoint has 16, run has 32/.test((e as Error).message),
    );
    for (const t of [straight, resumed, mismatched]) t.dispose();
    for (const m of [straightModel, resumedModel, wider]) m.dispose();
  });

  it('fine-tunes with frozen embeddings and first layer; reports MFU', async () => {
    const model = GPT2Model.create(tiny, { seed: 3 });
    const before = new Map([...model.parameters()].map(([n, v]) => [n, Array.from(v.dataSync())]));
    const events: TrainerEvent[] = [];
    const trainer = createTrainer({
      model,
      train: createBatchSampler(trainTokens, { batchSize: 2, blockSize: 16 }),
      peakFlops: 1e9,
      config: {
        maxSteps: 3,
        freeze: { embeddings: true, layers: 1 },
        schedule: { type: 'constant', lr: 1e-2 },
      },
      onEvent: (e) => events.push(e),
    });
    expect(
      trainer.trainableParameterNames.some((n) => n.startsWith('h.0.') || n.startsWith('wte')),
    ).toBe(false);
    await trainer.run();
    for (const [name, variable] of model.parameters()) {
      const same = Array.from(variable.dataSync()).every((x, i) => x === before.get(name)![i]);
      expect(same, name).toBe(
        name.startsWith('wte') || name.startsWith('wpe') || name.startsWith('h.0.'),
      );
    }
    const step = events.find((e): e is StepEvent => e.type === 'step')!;
    expect(step.mfu).toBeCloseTo(
      (flopsPerToken(tiny, { training: true }) * step.tokensPerSecond) / 1e9,
      12,
    );
    trainer.dispose();
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat over 200 steps, evaluation included', async () => {
    const model = GPT2Model.create({ ...tiny, nLayer: 1 }, { seed: 4 });
    const counts: number[] = [];
    const trainer = createTrainer({
      model,
      train: createBatchSampler(trainTokens, { batchSize: 1, blockSize: 8 }),
      val: createBatchSampler(valTokens, { batchSize: 1, blockSize: 8 }),
      config: {
        maxSteps: 200,
        evalInterval: 25,
        evalBatches: 2,
        schedule: { type: 'constant', lr: 1e-3 },
      },
      onEvent: (e) => {
        if (e.type === 'step' && e.step % 25 === 0) counts.push(tf.memory().numTensors);
      },
    });
    await trainer.run();
    expect(counts).toHaveLength(8);
    expect(new Set(counts).size).toBe(1);
    trainer.dispose();
    model.dispose();
  });
});
