/**
 * The contract between the trainer and @gpt2/model's bundle reader: a run
 * written by the trainer (checkpoint names, files, trainer state) is read
 * back as a model bundle, `best` first, with the trainer's tokenizer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import { loadModelBundleFromPath, readModelBundleFromPath } from '@gpt2/model/node';
import { CharTokenizer } from '@gpt2/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer } from '../trainer.js';
import { createNodeCheckpointStore } from './node-checkpoint-store.js';

let work: string;
beforeAll(async () => {
  await initBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'gpt2-trainer-bundle-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('a trainer run read as a model bundle', () => {
  it('gives the best checkpoint with its tokenizer, or the latest step on request', async () => {
    const text = 'the cat sat on the mat. '.repeat(40);
    const tokenizer = await CharTokenizer.fromCorpus([text]);
    const ids = tokenizer.encode(text);
    const config = resolveConfig({
      preset: 'gpt2-tiny',
      vocabSize: 32,
      nPositions: 16,
      nLayer: 1,
    });
    const model = GPT2Model.create(config, { seed: 5 });
    const dataset = tokenDatasetFromArray(ids);
    const run = join(work, 'run');
    const trainer = createTrainer({
      model,
      train: createBatchSampler(dataset, { batchSize: 2, blockSize: 16, seed: 1 }),
      val: createBatchSampler(dataset, { batchSize: 2, blockSize: 16, seed: 2 }),
      store: createNodeCheckpointStore({ dir: join(run, 'checkpoints') }),
      tokenizer,
      config: { maxSteps: 4, evalInterval: 2, evalBatches: 1, checkpointInterval: 2 },
    });
    await trainer.run();
    trainer.dispose();

    const best = await readModelBundleFromPath(run);
    expect(best.checkpoint).toBe('best');
    expect(best.config).toEqual(config);
    expect(best.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    expect(best.sources.tokenizer).toMatch(/trainer_state\.json \(tokenizer\)$/);

    const latest = await loadModelBundleFromPath(run, { checkpoint: 'latest' });
    expect(latest.checkpoint).toBe('step-00000004');
    for (const [name, variable] of model.parameters()) {
      expect(latest.model.parameters().get(name)!.dataSync(), name).toEqual(variable.dataSync());
    }
    latest.model.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });
});
