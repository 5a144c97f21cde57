import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { measurePeakFlops } from './peak-flops.js';

describe('measurePeakFlops', () => {
  it('measures a positive throughput and leaks nothing', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const flops = await measurePeakFlops({ size: 128, repetitions: 2 });
    expect(flops).toBeGreaterThan(1e7);
    expect(Number.isFinite(flops)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad sizes', async () => {
    await expect(measurePeakFlops({ size: 0 })).rejects.toThrow(RangeError);
  });
});
