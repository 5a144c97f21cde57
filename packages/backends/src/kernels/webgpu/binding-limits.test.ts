/**
 * The kernels whose input count is open-ended (AddN, Concat, Pack), driven
 * past the device's storage-buffer limit on Dawn with SwiftShader, on
 * WebGPU's default limits (8 per stage) and on the adapter's (12 here), and
 * compared with the cpu backend. Every dispatch must stay within the limit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { createWebgpuBackend } from '../../providers/webgpu.js';
import { requireSoftwareWebGpu } from '../../testing/require-system.js';
import type { WebGpuLimitsRequest } from '../../webgpu/device.js';
import { observeWebGpuDispatches, type WebGpuDispatch } from '../../webgpu/device-errors.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const ready = requireSoftwareWebGpu({ swiftshaderPath });

function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

/**
 * Shape [40, 30]: 1,200 elements, above tfjs's 1,000-element threshold below
 * which webgpu runs some kernels on the CPU.
 */
const SHAPE: [number, number] = [40, 30];

interface Case {
  name: string;
  count: number;
  run(tensors: tf.Tensor[]): tf.Tensor;
}

const CASES: Case[] = [
  { name: 'addN of 8', count: 8, run: (t) => tf.addN(t) },
  { name: 'addN of 40', count: 40, run: (t) => tf.addN(t) },
  { name: 'addN of 200 (three levels)', count: 200, run: (t) => tf.addN(t) },
  { name: 'concat of 20 on axis 0', count: 20, run: (t) => tf.concat(t, 0) },
  { name: 'concat of 40 on axis 1', count: 40, run: (t) => tf.concat(t, 1) },
  { name: 'stack of 20', count: 20, run: (t) => tf.stack(t, 1) },
];

/** Run a case on the active backend and return the result's values. */
async function runCase(c: Case): Promise<Float32Array> {
  const tensors = Array.from({ length: c.count }, (_, i) =>
    tf.tensor2d(seeded(SHAPE[0] * SHAPE[1], i + 1), SHAPE),
  );
  const result = c.run(tensors);
  const values = (await result.data()) as Float32Array;
  tf.dispose([...tensors, result]);
  return values;
}

const expected = new Map<string, Float32Array>();

describe.runIf(ready).each(['default', 'adapter'] as WebGpuLimitsRequest[])(
  'AddN, Concat and Pack past the storage-buffer limit, webgpu limits: %s',
  (limits) => {
    afterAll(async () => {
      await initBackend('cpu');
    });

    it.each(CASES)('$name matches cpu, within the limit per dispatch', async (c) => {
      if (!expected.has(c.name)) {
        await initBackend('cpu');
        expected.set(c.name, await runCase(c));
      }
      const info = await initBackend(createWebgpuBackend({ swiftshaderPath, limits }));
      const limit = info.limits!.maxStorageBuffersPerShaderStage;
      if (limits === 'default') expect(limit).toBe(8);
      else expect(limit).toBeGreaterThan(8);
      const dispatches: WebGpuDispatch[] = [];
      const stop = observeWebGpuDispatches(tf.backend(), (d) => dispatches.push(d));
      const before = tf.memory().numTensors;
      let got: Float32Array;
      try {
        got = await runCase(c);
      } finally {
        stop();
      }
      expect(tf.memory().numTensors).toBe(before);
      const want = expected.get(c.name)!;
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      // Sums in another order: float32 rounding differs, by far less than this.
      expect(worst).toBeLessThan(1e-5);
      const heaviest = Math.max(...dispatches.map((d) => d.storageBuffers));
      expect(heaviest).toBeLessThanOrEqual(limit);
      if (c.count + 1 > limit) expect(dispatches.length).toBeGreaterThan(1);
    });
  },
);
