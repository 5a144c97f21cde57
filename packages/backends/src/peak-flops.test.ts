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

  it('sweeps sizes up to maxSize by default and keeps the best', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const swept = await measurePeakFlops({ maxSize: 256, repetitions: 1 });
    expect(swept).toBeGreaterThan(1e7);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad sizes', async () => {
    await expect(measurePeakFlops({ size: 0 })).rejects.toThrow(RangeError);
    await expect(measurePeakFlops({ maxSize: 1.5 })).rejects.toThrow(/maxSize/);
  });
});
