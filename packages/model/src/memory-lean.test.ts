/**
 * The memory-lean loss paths: recomputed blocks give the plain path's loss
 * and gradients with dropout on (the same masks, replayed), neither path
 * leaks tensors, and both really lower the peak tensor memory of a training
 * step. PyTorch parity of both paths is in parity.test.ts.
 */
import { initBackend, trackMemory } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { GPT2Model, type LossOptions } from './model.js';

const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 96,
  nPositions: 32,
  nEmbd: 32,
  nLayer: 3,
  nHead: 4,
  embdPdrop: 0.1,
  attnPdrop: 0.1,
  residPdrop: 0.1,
});

function batch(B: number, T: number, V: number): [tf.Tensor2D, tf.Tensor2D] {
  const ids = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => (7 * b + 3 * t) % V),
  );
  return [
    tf.tensor2d(ids, [B, T], 'int32'),
    tf.tensor2d(
      ids.map((r) => r.map((v) => (v + 1) % V)),
      [B, T],
      'int32',
    ),
  ];
}

function gradients(model: GPT2Model, ids: tf.Tensor2D, targets: tf.Tensor2D, options: LossOptions) {
  return tf.variableGrads(
    () => model.loss(ids, targets, options),
    [...model.parameters().values()],
  );
}

describe.each(['cpu', 'wasm'] as const)('memory-lean training paths on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it('recompute replays the dropout masks: the loss and gradients of the plain path', async () => {
    const model = GPT2Model.create(config, { seed: 5 });
    const [ids, targets] = batch(2, 16, config.vocabSize);
    const plain = gradients(model, ids, targets, { training: true, crossEntropyChunk: 0 });
    const after = model.getRandomState();
    model.setRandomState({ dropoutCalls: 0 });
    const lean = gradients(model, ids, targets, {
      training: true,
      recompute: true,
      crossEntropyChunk: 5,
    });
    expect(model.getRandomState()).toEqual(after);
    const [plainLoss, leanLoss] = [plain.value.dataSync()[0]!, lean.value.dataSync()[0]!];
    expect(Math.abs(plainLoss - leanLoss)).toBeLessThan(1e-6);
    for (const [name, variable] of model.parameters()) {
      const a = plain.grads[variable.name]!.dataSync();
      const b = lean.grads[variable.name]!.dataSync();
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst, name).toBeLessThan(1e-5);
    }
    tf.dispose([
      plain.value,
      lean.value,
      ...Object.values(plain.grads),
      ...Object.values(lean.grads),
      ids,
      targets,
    ]);
    model.dispose();
  });

  it('keep the tensor count flat over repeated steps', () => {
    const model = GPT2Model.create(config);
    const [ids, targets] = batch(2, 16, config.vocabSize);
    const step = () => {
      const { value, grads } = gradients(model, ids, targets, {
        training: true,
        recompute: true,
        crossEntropyChunk: 9,
      });
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(model.loss(ids, targets, { recompute: true, crossEntropyChunk: 9 })); // no tape
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ids, targets]);
    model.dispose();
  });

  it('lower the peak tensor memory of a training step', () => {
    const wide = resolveConfig({ ...config, vocabSize: 2048, nPositions: 64, nLayer: 4 });
    const model = GPT2Model.create(wide);
    const [ids, targets] = batch(2, 64, wide.vocabSize);
    const peak = (options: LossOptions) => {
      const tracker = trackMemory();
      const start = tracker.liveBytes;
      const { value, grads } = gradients(model, ids, targets, { training: true, ...options });
      tf.dispose([value, ...Object.values(grads)]);
      const bytes = tracker.peakBytes - start;
      tracker.stop();
      return bytes;
    };
    peak({}); // warm-up: cached constants
    const plain = peak({ crossEntropyChunk: 0 });
    const chunked = peak({ crossEntropyChunk: 64 });
    const recompute = peak({ crossEntropyChunk: 0, recompute: true });
    const both = peak({ crossEntropyChunk: 64, recompute: true });
    console.log(
      `${backend}: peak tensor bytes of a step (L=4, C=32, V=2048, 2 × 64): plain ${plain}, chunked CE ${chunked}, recompute ${recompute}, both ${both}`,
    );
    expect(chunked).toBeLessThan(plain * 0.85);
    expect(recompute).toBeLessThan(plain * 0.7);
    expect(both).toBeLessThan(plain * 0.5);
    tf.dispose([ids, targets]);
    model.dispose();
  });
});
