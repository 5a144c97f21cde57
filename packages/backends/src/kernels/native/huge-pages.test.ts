/**
 * Weights streamed by a decode step move onto 2 MiB pages (native/gpt2_memory.c):
 * a hint that must never change a value, and that stays within the backend's
 * `hugePageBytes` budget.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { NATIVE_BUILD_HINT } from '../../providers/native.js';
import { seededFloats } from '../../testing/matmul-reference.js';
import { systemRequirement } from '../../testing/require-system.js';
import type { NativeBackend } from './backend.js';
import { loadNativeBlas } from './native-blas.js';

const addon = await loadNativeBlas();
const hasNative = systemRequirement(
  `The native addon with OpenBLAS (${typeof addon === 'string' ? addon : 'ok'})`,
  typeof addon !== 'string',
  NATIVE_BUILD_HINT,
);

/** [N, K] = 6 MiB: at least one whole 2 MiB page inside, whatever the alignment. */
const K = 768;
const N = 2048;

describe.runIf(hasNative)('native backend: huge pages for streamed weights', () => {
  let backend: NativeBackend;
  let budget: number;

  beforeAll(async () => {
    await initBackend('native');
    backend = tf.backend() as NativeBackend;
    budget = backend.hugePageBytes;
  });

  afterAll(() => {
    backend.hugePageBytes = budget;
  });

  it('moves a filled array in place without changing a value', () => {
    const values = seededFloats(N * K, 7);
    const copy = values.slice();
    const moved = backend.addon.hugePages(values, true);
    expect(moved).toBeGreaterThanOrEqual(0);
    expect(moved).toBeLessThanOrEqual(values.byteLength);
    expect(values.every((v, i) => v === copy[i])).toBe(true);
  });

  it('a head GEMV over a moved weight gives the same numbers, within the budget', () => {
    const start = tf.memory().numTensors;
    const x = tf.tensor2d(seededFloats(K, 1), [1, K]);
    const weights = seededFloats(N * K, 2);
    const product = (hugePageBytes: number) => {
      backend.hugePageBytes = hugePageBytes;
      // A fresh weight each time: the backend moves each buffer at most once.
      const w = tf.tensor2d(weights.slice(), [N, K]);
      const y = tf.matMul(x, w, false, true); // [1, N], the addon's GEMV
      const values = y.dataSync().slice();
      const unchanged = (backend.values(w) as Float32Array).every((v, i) => v === weights[i]);
      tf.dispose([w, y]);
      return { values, unchanged };
    };
    const plain = product(0);
    const huge = product(N * K * 4);
    expect(huge.unchanged).toBe(true);
    expect(huge.values.every((v, i) => v === plain.values[i])).toBe(true);
    x.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
