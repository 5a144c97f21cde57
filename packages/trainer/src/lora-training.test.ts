/**
 * LoRA training with the trainer: checkpoints are PEFT adapter folders with
 * the adapters' optimizer state (no copy of the frozen base), resume is exact
 * to the bit (model and LoRA dropout on), memory stays flat, MFU counts LoRA's
 * FLOPs, and a checkpoint of the wrong kind is refused with a message that says so.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { addLora, type GPT2Config, GPT2Model, resolveConfig } from '@gpt2/model';
import { loadLoraAdapterFolder } from '@gpt2/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCheckpointError } from './errors/invalid-checkpoint-error.js';
import type { StepEvent, TrainerEvent } from './events.js';
import { createNodeCheckpointStore } from './node/node-checkpoint-store.js';
import { createTrainer } from './trainer.js';

const tiny: GPT2Config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 48,
  nPositions: 16,
  nEmbd: 16,
  nLayer: 2,
  nHead: 2,
  embdPdrop: 0.1,
  attnPdrop: 0.1,
  residPdrop: 0.1,
});
const stream = Array.from({ length: 3000 }, (_, i) => (i * 7 + (i >> 3)) % 48);
const trainTokens = tokenDatasetFromArray(stream.slice(0, 2500));
const valTokens = tokenDatasetFromArray(stream.slice(2500));
const LORA = { r: 4, alpha: 8, dropout: 0.1, targets: ['c_attn', 'c_proj'] };

/** The base every run starts from: a "pretrained" model, the same weights each time. */
function base(): GPT2Model {
  return GPT2Model.create(tiny, { seed: 21 });
}

describe('LoRA training', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'gpt2-trainer-lora-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function make(
    model: Parameters<typeof createTrainer>[0]['model'],
    store: ReturnType<typeof createNodeCheckpointStore>,
    maxSteps: number,
    onEvent?: (event: TrainerEvent) => void,
  ) {
    return createTrainer({
      model,
      train: createBatchSampler(trainTokens, { batchSize: 2, blockSize: 16, seed: 5 }),
      val: createBatchSampler(valTokens, { batchSize: 2, blockSize: 16, seed: 6 }),
      store,
      peakFlops: 1e9,
      ...(onEvent ? { onEvent } : {}),
      config: {
        maxSteps,
        checkpointInterval: 3,
        evalInterval: 3,
        evalBatches: 2,
        schedule: { type: 'cosine', maxLr: 1e-2, warmupSteps: 2, decaySteps: 8 },
      },
    });
  }

  it('checkpoints PEFT adapter folders and resumes exactly to the bit', async () => {
    const straightBase = base();
    const straightLora = addLora(straightBase, { ...LORA, seed: 3 });
    const events: TrainerEvent[] = [];
    const straight = make(
      straightLora,
      createNodeCheckpointStore({ dir: join(dir, 'straight') }),
      8,
      (e) => events.push(e),
    );
    const all = (await straight.run()).losses;
    expect(all.at(-1)!).toBeLessThan(all[0]!);

    const store = createNodeCheckpointStore({ dir: join(dir, 'split') });
    const firstBase = base();
    const firstLora = addLora(firstBase, { ...LORA, seed: 3 });
    const first = make(firstLora, store, 5);
    const head = (await first.run()).losses;
    first.dispose();
    firstLora.dispose();
    firstBase.dispose();

    // A fresh process: the same base, adapters with another init, then resume.
    const resumedBase = base();
    const resumedLora = addLora(resumedBase, { ...LORA, seed: 999 });
    const resumed = make(resumedLora, store, 8);
    expect(await resumed.resume()).toBe('step-00000005');
    const tail = (await resumed.run()).losses;
    expect([...head, ...tail]).toEqual(all);
    const straightParameters = straightLora.parameters();
    for (const [name, variable] of resumedLora.parameters()) {
      expect(Array.from(await variable.data()), name).toEqual(
        Array.from(await straightParameters.get(name)!.data()),
      );
    }

    // The checkpoint is a PEFT adapter folder plus the adapters' optimizer state.
    const folder = join(dir, 'split', 'step-00000008');
    expect((await readdir(folder)).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);
    const state = JSON.parse(await readFile(join(folder, 'trainer_state.json'), 'utf8'));
    expect(state.optimizer.parameters).toEqual([...resumedLora.parameters().keys()]);
    const reloadedBase = base();
    const reloaded = await loadLoraAdapterFolder(reloadedBase, folder);
    expect(reloaded.loraConfig).toMatchObject({ r: 4, alpha: 8, dropout: 0.1 });
    for (const [name, variable] of reloaded.parameters()) {
      expect(Array.from(await variable.data()), name).toEqual(
        Array.from(await straightParameters.get(name)!.data()),
      );
    }
    // The base never moved.
    const untouched = base();
    for (const [name, variable] of straightBase.parameters()) {
      expect(Array.from(await variable.data()), name).toEqual(
        Array.from(await untouched.parameters().get(name)!.data()),
      );
    }

    // MFU counts LoRA's FLOPs (4 per frozen weight and token, not 6).
    const step = events.find((e): e is StepEvent => e.type === 'step')!;
    expect(step.mfu).toBeCloseTo((straightLora.flopsPerToken() * step.tokensPerSecond) / 1e9, 12);

    // A whole-model trainer refuses the LoRA checkpoint, and the other way round.
    const whole = base();
    const wholeTrainer = make(whole, store, 8);
    await expect(wholeTrainer.resume()).rejects.toSatisfy(
      (e: unknown) =>
        InvalidCheckpointError.isInstance(e) &&
        /it is a LoRA checkpoint/.test((e as Error).message),
    );
    const fullStore = createNodeCheckpointStore({ dir: join(dir, 'full') });
    const fullTrainer = make(whole, fullStore, 1);
    await fullTrainer.run();
    const loraOnFull = make(resumedLora, fullStore, 2);
    await expect(loraOnFull.resume()).rejects.toThrow(/holds a whole model/);

    for (const t of [straight, resumed, wholeTrainer, fullTrainer, loraOnFull]) t.dispose();
    for (const l of [straightLora, resumedLora, reloaded]) l.dispose();
    for (const m of [straightBase, resumedBase, reloadedBase, untouched, whole]) m.dispose();
  });

  it('keeps tf.memory().numTensors flat over 60 LoRA steps, evaluation and checkpoints included', async () => {
    const model = base();
    const lora = addLora(model, LORA);
    const counts: number[] = [];
    const trainer = make(lora, createNodeCheckpointStore({ dir: join(dir, 'flat') }), 60, (e) => {
      if (e.type === 'step' && e.step % 10 === 0) counts.push(tf.memory().numTensors);
    });
    await trainer.run();
    expect(counts).toHaveLength(6);
    expect(new Set(counts).size).toBe(1);
    trainer.dispose();
    lora.dispose();
    model.dispose();
  });
});
