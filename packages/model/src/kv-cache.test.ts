import { initBackend } from '@gpt2/backends';
import { GPT2_BLOCK } from '@gpt2/backends/kernels';
import { requireNativeBackend } from '@gpt2/backends/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type GPT2Config, resolveConfig } from './config.js';
import { GPT2Model } from './model.js';

const B = 2;
const T = 14;
const ids = Array.from({ length: B }, (_, b) =>
  Array.from({ length: T }, (_, t) => (b * 37 + t * 11) % 97),
);

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** Run `ids[:, from:to]` through the cached model and return the logits. */
function step(
  model: GPT2Model,
  cache: ReturnType<GPT2Model['createKVCache']>,
  from: number,
  to: number,
) {
  return model.forward(
    ids.map((row) => row.slice(from, to)),
    { cache },
  );
}

function checkCacheMatchesFull(config: GPT2Config): void {
  const model = GPT2Model.create(config, { seed: 5 });
  const full = model.forward(ids); // [B, T, V]
  const fullAt = (from: number, to: number) =>
    tf.slice(full, [0, from, 0], [B, to - from, config.vocabSize]);
  const cache = model.createKVCache(B);
  // Prefill 5, then one token at a time, then a chunk of 3.
  const chunks: [number, number][] = [[0, 5]];
  for (let t = 5; t < 11; t++) chunks.push([t, t + 1]);
  chunks.push([11, 14]);
  for (const [from, to] of chunks) {
    const logits = step(model, cache, from, to);
    const expected = fullAt(from, to);
    expect(maxAbsDiff(logits, expected), `positions ${from}..${to}`).toBeLessThan(1e-5);
    tf.dispose([logits, expected]);
  }
  expect(cache.length).toBe(T);
  // Crop back and decode the same tokens again: same logits.
  cache.crop(7);
  expect(cache.length).toBe(7);
  for (const [from, to] of [
    [7, 8],
    [8, 12],
    [12, 14],
  ] as const) {
    const logits = step(model, cache, from, to);
    const expected = fullAt(from, to);
    expect(maxAbsDiff(logits, expected), `after crop, ${from}..${to}`).toBeLessThan(1e-5);
    tf.dispose([logits, expected]);
  }
  cache.crop(0);
  const restart = step(model, cache, 0, 3);
  const expected = fullAt(0, 3);
  expect(maxAbsDiff(restart, expected)).toBeLessThan(1e-5);
  tf.dispose([restart, expected, full]);
  cache.dispose();
  model.dispose();
}

const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 97,
  nPositions: 16,
  nEmbd: 48,
  nHead: 3,
});

// native decodes with its GPT2Block kernel (the cache grown in place); cpu and wasm with the layers one by one.
const BACKENDS = [
  'cpu',
  'wasm',
  ...((await requireNativeBackend()) ? (['native'] as const) : []),
] as const;

describe.each(BACKENDS)('on %s', (backend) => {
  it('KV-cached decoding gives the full forward pass logits (1e-5), also after crop', async () => {
    await initBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    checkCacheMatchesFull(config);
    // The fused block runs exactly where the backend has it.
    expect(tf.getKernel(GPT2_BLOCK.name, backend) !== undefined).toBe(backend === 'native');
  });

  it('the same holds with sinusoidal positions', async () => {
    await initBackend(backend);
    checkCacheMatchesFull({ ...config, positionEmbedding: 'sinusoidal' });
  });

  it('lastPositionOnly gives the last row of the full logits (1e-6), with and without a cache', async () => {
    await initBackend(backend);
    const model = GPT2Model.create(config, { seed: 3 });
    const full = model.forward(ids); // [B, T, V]
    const lastRow = (to: number) => tf.slice(full, [0, to - 1, 0], [B, 1, config.vocabSize]);
    const last = model.forward(ids, { lastPositionOnly: true });
    expect(last.shape).toEqual([B, 1, config.vocabSize]);
    const expected = lastRow(T);
    expect(maxAbsDiff(last, expected)).toBeLessThan(1e-6);
    tf.dispose([last, expected]);
    const cache = model.createKVCache(B);
    for (const [from, to] of [
      [0, 6],
      [6, 7],
      [7, 14],
    ] as const) {
      const logits = model.forward(
        ids.map((row) => row.slice(from, to)),
        { cache, lastPositionOnly: true },
      );
      const want = lastRow(to);
      expect(logits.shape).toEqual([B, 1, config.vocabSize]);
      expect(maxAbsDiff(logits, want), `positions ${from}..${to}`).toBeLessThan(1e-5);
      tf.dispose([logits, want]);
    }
    expect(cache.length).toBe(T);
    tf.dispose(full);
    cache.dispose();
    model.dispose();
  });

  it('select gathers cache rows: decoding continues as for the selected sequences', async () => {
    await initBackend(backend);
    const model = GPT2Model.create(config, { seed: 4 });
    const cache = model.createKVCache(B);
    tf.dispose(
      model.forward(
        ids.map((row) => row.slice(0, 9)),
        { cache },
      ),
    );
    const rows = [1, 1, 0];
    cache.select(rows);
    expect(cache.batchSize).toBe(3);
    expect(cache.length).toBe(9);
    const picked = rows.map((b) => ids[b]!);
    const logits = model.forward(
      picked.map((row) => row.slice(9, 12)),
      { cache },
    );
    const full = model.forward(picked.map((row) => row.slice(0, 12)));
    const expected = tf.slice(full, [0, 9, 0], [3, 3, config.vocabSize]);
    expect(maxAbsDiff(logits, expected)).toBeLessThan(1e-5);
    expect(() => cache.select([3])).toThrow(RangeError);
    expect(() => cache.select([])).toThrow(RangeError);
    tf.dispose([logits, full, expected]);
    cache.dispose();
    model.dispose();
  });

  it('gradients reach every parameter', async () => {
    await initBackend(backend);
    const model = GPT2Model.create({ ...config, tieWordEmbeddings: false }, { seed: 11 });
    const targets = ids.map((row) => row.map((v) => (v + 3) % 97));
    const { value, grads } = tf.variableGrads(() => model.loss(ids, targets));
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [name, variable] of model.parameters()) {
      const grad = grads[variable.name];
      expect(grad, name).toBeDefined();
      expect(grad!.shape, name).toEqual(variable.shape);
      const norm = tf.tidy(() => tf.norm(grad!).dataSync()[0]!);
      expect(Number.isFinite(norm) && norm > 0, `${name}: |grad| = ${norm}`).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });

  it('gives the same weights and loss as cpu (JS-side seeded init)', async () => {
    await initBackend('cpu');
    const onCpu = GPT2Model.create(config, { seed: 2 });
    const cpuLoss = tf.tidy(() => onCpu.loss(ids, ids).dataSync()[0]!);
    const cpuWte = onCpu.parameters().get('wte.weight')!.dataSync();
    onCpu.dispose();
    await initBackend(backend);
    const here = GPT2Model.create(config, { seed: 2 });
    expect(here.parameters().get('wte.weight')!.dataSync()).toEqual(cpuWte);
    expect(tf.tidy(() => here.loss(ids, ids).dataSync()[0]!)).toBeCloseTo(cpuLoss, 4);
    here.dispose();
  });
});
