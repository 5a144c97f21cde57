/**
 * The native GPT2Block's KV cache, grown in place: a run of decode steps
 * against the contract's chain, each step's cache a longer view of one
 * buffer, no past tensor ever changed, and a second extension of an old
 * past (a branch) moved to a buffer of its own.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { NATIVE_BUILD_HINT } from '../../providers/native.js';
import { maxRelativeError, seededFloats } from '../../testing/matmul-reference.js';
import { systemRequirement } from '../../testing/require-system.js';
import { GPT2_BLOCK, type GPT2BlockInputs } from '../contracts/gpt2-block.js';
import type { NativeBackend } from './backend.js';
import { loadNativeBlas } from './native-blas.js';

const addon = await loadNativeBlas();
const hasNative = systemRequirement(
  `The native addon (${typeof addon === 'string' ? addon : 'ok'})`,
  typeof addon !== 'string',
  NATIVE_BUILD_HINT,
);

const B = 2;
const C = 32;
const H = 4;
const CAPACITY = 12;

const random = (shape: number[], seed: number, scale: number) =>
  tf.tensor(
    seededFloats(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ).map((x) => x * scale),
    shape,
  );

describe.runIf(hasNative)('native GPT2Block: the KV cache grows in place', () => {
  let weights: Omit<GPT2BlockInputs, 'x' | 'pastKeys' | 'pastValues'>;
  let backend: NativeBackend;

  beforeAll(async () => {
    await initBackend('native');
    backend = tf.backend() as NativeBackend;
    weights = {
      ln1Gamma: tf.add(random([C], 1, 0.1), 1) as tf.Tensor1D,
      ln1Beta: random([C], 2, 0.1) as tf.Tensor1D,
      attnWeight: random([C, 3 * C], 3, 0.2) as tf.Tensor2D,
      attnBias: random([3 * C], 4, 0.1) as tf.Tensor1D,
      attnProjWeight: random([C, C], 5, 0.2) as tf.Tensor2D,
      attnProjBias: random([C], 6, 0.1) as tf.Tensor1D,
      ln2Gamma: tf.add(random([C], 7, 0.1), 1) as tf.Tensor1D,
      ln2Beta: random([C], 8, 0.1) as tf.Tensor1D,
      fcWeight: random([C, 4 * C], 9, 0.2) as tf.Tensor2D,
      fcBias: random([4 * C], 10, 0.1) as tf.Tensor1D,
      mlpProjWeight: random([4 * C, C], 11, 0.2) as tf.Tensor2D,
      mlpProjBias: random([C], 12, 0.1) as tf.Tensor1D,
    };
  });

  afterAll(() => {
    tf.dispose(Object.values(weights));
  });

  /** One step on the kernel, checked against the chain; returns the kernel's cache. */
  async function step(
    T: number,
    seed: number,
    past?: { keys: tf.Tensor3D; values: tf.Tensor3D },
  ): Promise<{ keys: tf.Tensor3D; values: tf.Tensor3D }> {
    const x = random([B, T, C], seed, 1) as tf.Tensor3D;
    const inputs: GPT2BlockInputs = {
      ...weights,
      x,
      ...(past ? { pastKeys: past.keys, pastValues: past.values } : {}),
    };
    const attrs = { nHead: H, epsilon: 1e-5, capacity: CAPACITY };
    const [y, keys, values] = tf
      .engine()
      .runKernel(GPT2_BLOCK.name, { ...inputs }, { ...attrs }) as [
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor3D,
    ];
    const expected = tf.tidy(() => GPT2_BLOCK.reference(inputs, attrs));
    for (const [i, got] of [y, keys, values].entries()) {
      expect(got.shape).toEqual(expected[i]!.shape);
      expect(
        maxRelativeError(await got.data(), await expected[i]!.data()),
        `${GPT2_BLOCK.outputNames[i]} after ${past?.keys.shape[0] ?? 0} + ${T}`,
      ).toBeLessThan(GPT2_BLOCK.tolerance);
    }
    tf.dispose([x, y, ...expected]);
    return { keys, values };
  }

  it('appends each step into one buffer, never changing a past tensor', async () => {
    const before = tf.memory().numTensors;
    const prefill = await step(5, 20);
    const buffer = backend.values(prefill.keys).buffer;
    expect(buffer.byteLength).toBe(CAPACITY * B * C * 4); // room reserved for the capacity
    const snapshot = Array.from(await prefill.keys.data());
    let cache = prefill;
    const caches = [prefill];
    for (const [i, T] of [1, 1, 3].entries()) {
      cache = await step(T, 30 + i, cache);
      caches.push(cache);
      expect(backend.values(cache.keys).buffer, 'in place').toBe(buffer);
    }
    expect(cache.keys.shape).toEqual([10, B, C]);
    expect(Array.from(await prefill.keys.data())).toEqual(snapshot); // the past never changes

    // A branch: extending the prefill again must not overwrite the rows the later steps see.
    const later = Array.from(await cache.keys.data());
    const branch = await step(2, 40, prefill);
    expect(backend.values(branch.keys).buffer).not.toBe(buffer);
    expect(Array.from(await cache.keys.data())).toEqual(later);

    // Past the capacity: a bigger buffer, the same numbers.
    const grown = await step(4, 50, cache);
    expect(grown.keys.shape).toEqual([14, B, C]);
    expect(backend.values(grown.keys).buffer).not.toBe(buffer);

    tf.dispose([...caches, branch, grown].flatMap((c) => [c.keys, c.values]));
    expect(tf.memory().numTensors).toBe(before);
  });
});
