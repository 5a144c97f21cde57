/**
 * estimateMemory against the measured peak of a real training step (forward,
 * backward, gradient clipping's norm and AdamW) and of evaluation, at three
 * small sizes: the estimate is what the trainer and the CLI check before
 * they start, so it must be close to what a step really holds.
 */
import { initBackend, trackMemory } from '@gpt2/backends';
import { requireNativeBackend } from '@gpt2/backends/testing';
import { estimateMemory, GPT2Model, type MemoryEstimateOptions, resolveConfig } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './optimizer/adamw.js';
import { globalNorm } from './optimizer/clip.js';

const SIZES = [
  {
    name: 'width 64, 2 layers, batch 4 × 32',
    nEmbd: 64,
    nLayer: 2,
    nHead: 2,
    vocabSize: 512,
    B: 4,
    T: 32,
  },
  {
    name: 'width 96, 3 layers, batch 2 × 64',
    nEmbd: 96,
    nLayer: 3,
    nHead: 3,
    vocabSize: 1024,
    B: 2,
    T: 64,
  },
  {
    name: 'width 128, 2 layers, batch 2 × 128, chunked head',
    nEmbd: 128,
    nLayer: 2,
    nHead: 4,
    vocabSize: 2048,
    B: 2,
    T: 128,
    chunk: 64,
  },
] as const;

beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(async () => {
  await initBackend('cpu');
});

// wasm and native: the op chain and the fused kernels (cpu is the chain too, only slower).
const BACKENDS = [
  'wasm',
  ...((await requireNativeBackend()) ? (['native'] as const) : []),
] as const;

describe.each(BACKENDS)('estimateMemory against the measured peak on %s', (backend) => {
  it.each(SIZES)('$name: training within 25%, recomputed too', async (size) => {
    await initBackend(backend);
    const config = resolveConfig({
      preset: 'gpt2-tiny',
      vocabSize: size.vocabSize,
      nPositions: 128,
      nEmbd: size.nEmbd,
      nLayer: size.nLayer,
      nHead: size.nHead,
    });
    const ids = tf.tensor2d(
      Array.from({ length: size.B * size.T }, (_, i) => (i * 7) % size.vocabSize),
      [size.B, size.T],
      'int32',
    );
    const targets = tf.tensor2d(
      Array.from({ length: size.B * size.T }, (_, i) => (i * 7 + 1) % size.vocabSize),
      [size.B, size.T],
      'int32',
    );
    for (const recompute of [false, true]) {
      const chunk = 'chunk' in size ? size.chunk : 0;
      // Everything the run holds, measured from before the model exists.
      const memory = trackMemory();
      const base = memory.liveBytes;
      const model = GPT2Model.create(config);
      const optimizer = new AdamW(model.parameters());
      const step = () => {
        const { value, grads } = tf.variableGrads(() =>
          model.loss(ids, targets, { training: true, recompute, crossEntropyChunk: chunk }),
        );
        const norm = globalNorm(Object.values(grads));
        optimizer.apply(
          new Map(Object.entries(grads).map(([k, g]) => [k.replace(/^gpt2_\d+\//, ''), g])),
          1e-3,
        );
        tf.dispose([value, norm, ...Object.values(grads)]);
      };
      step();
      const measured = memory.peakBytes - base;
      memory.stop();
      const options: MemoryEstimateOptions = {
        batchSize: size.B,
        contextLength: size.T,
        training: true,
        recompute,
        crossEntropyChunk: chunk,
        backend,
      };
      const estimate = estimateMemory(config, options).totalBytes;
      optimizer.dispose();
      model.dispose();
      // Measured 2026-12-01: estimate/measured 0.99–1.11 on wasm, 0.99–1.08 on native.
      expect(
        Math.abs(estimate / measured - 1),
        `recompute ${recompute}: ${estimate} vs ${measured}`,
      ).toBeLessThan(0.25);
    }
    tf.dispose([ids, targets]);
  });
});
