import { initBackend } from '@gpt2/backends';
import { loadBrownCorpus } from '@gpt2/corpora';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import { expect, it } from 'vitest';
import type { EvalEvent, TrainerEvent } from './events.js';
import { createTrainer } from './trainer.js';

/**
 * Real learning on real text: a small character-level GPT on the Brown
 * corpus, on wasm, must cut validation loss by ≥ 30% from step 0.
 */
it('cuts Brown-corpus validation loss by at least 30% within a CI-sized run (wasm)', {
  timeout: 180_000,
}, async () => {
  const info = await initBackend('wasm');
  expect(info.name).toBe('wasm');
  const documents = await loadBrownCorpus();
  // Whole documents go to one split: 90% train, every 10th to validation.
  const trainText = documents
    .filter((_, i) => i % 10 !== 0)
    .map((d) => d.text)
    .join('\n\n');
  const valText = documents
    .filter((_, i) => i % 10 === 0)
    .map((d) => d.text)
    .join('\n\n');
  // Character vocabulary from the training text; unseen characters map to the last id.
  const chars = [...new Set(trainText)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const unknown = chars.length;
  const encode = (text: string) => Int32Array.from(text, (c) => index.get(c) ?? unknown);
  const vocabSize = chars.length + 1;

  const config = resolveConfig({
    preset: 'gpt2-tiny',
    vocabSize,
    nPositions: 64,
    nEmbd: 64,
    nLayer: 2,
    nHead: 4,
  });
  const model = GPT2Model.create(config, { seed: 1 });
  const events: TrainerEvent[] = [];
  const maxSteps = 250;
  const trainer = createTrainer({
    model,
    train: createBatchSampler(tokenDatasetFromArray(encode(trainText)), {
      batchSize: 8,
      blockSize: 64,
      seed: 1,
    }),
    val: createBatchSampler(tokenDatasetFromArray(encode(valText)), {
      batchSize: 8,
      blockSize: 64,
      seed: 2,
    }),
    config: {
      maxSteps,
      maxTimeMs: 150_000, // a safety net on a slow machine; the assertion below still applies
      evalInterval: 50,
      evalBatches: 8,
      schedule: { type: 'cosine', maxLr: 1e-2, minLr: 1e-3, warmupSteps: 10, decaySteps: maxSteps },
      optimizer: { weightDecay: 0.01 },
      gradClip: 1.0,
    },
    onEvent: (e) => events.push(e),
  });
  const started = performance.now();
  const result = await trainer.run();
  const seconds = (performance.now() - started) / 1000;
  const evals = events.filter((e): e is EvalEvent => e.type === 'eval');
  const initial = evals[0]!.valLoss;
  const final = result.valLoss!;
  const drop = 1 - final / initial;
  console.log(
    `Brown char-level (V=${vocabSize}): val loss ${initial.toFixed(3)} → ${final.toFixed(3)} ` +
      `(−${(drop * 100).toFixed(1)}%) in ${result.step} steps, ${seconds.toFixed(1)} s; evals: ` +
      evals.map((e) => `${e.step}:${e.valLoss.toFixed(3)}`).join(' '),
  );
  expect(evals[0]!.step).toBe(0);
  expect(drop).toBeGreaterThanOrEqual(0.3);
  trainer.dispose();
  model.dispose();
});
