import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { GPT2Model } from './model.js';

const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 64,
  nPositions: 32,
  nEmbd: 16,
  embdPdrop: 0.1,
  attnPdrop: 0.1,
  residPdrop: 0.1,
});
const ids = [
  [1, 2, 3, 4, 5, 6, 7, 8],
  [9, 10, 11, 12, 13, 14, 15, 16],
];
const targets = ids.map((row) => row.map((v) => (v + 1) % 64));

describe('no tensor leaks', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('over 100 forward passes (training and not)', () => {
    const model = GPT2Model.create(config);
    tf.dispose(model.forward(ids, { training: true })); // builds the cached mask
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) tf.dispose(model.forward(ids, { training: i % 2 === 0 }));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('over 100 backward passes', () => {
    const model = GPT2Model.create(config);
    tf.dispose(model.forward(ids));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const { value, grads } = tf.variableGrads(() =>
        model.loss(ids, targets, { training: true, labelSmoothing: 0.1 }),
      );
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('over 200 cached decode steps with crops, and after dispose', () => {
    const start = tf.memory().numTensors;
    const model = GPT2Model.create(config);
    const cache = model.createKVCache(2);
    tf.dispose(model.forward(ids, { cache }));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) {
      if (cache.length === config.nPositions) cache.crop(16); // slide the window
      tf.dispose(model.forward([[i % 64], [(i * 7) % 64]], { cache }));
      expect(tf.memory().numTensors).toBe(before);
    }
    cache.select([1, 0]); // beam search's reorder: same tensor count
    expect(tf.memory().numTensors).toBe(before);
    cache.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
