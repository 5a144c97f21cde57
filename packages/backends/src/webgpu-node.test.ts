import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { createWebgpuBackend } from './providers/webgpu.js';
import { maxRelativeError, referenceMatMul, seededFloats } from './testing/matmul-reference.js';
import { requireSoftwareWebGpu } from './testing/require-system.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const ready = requireSoftwareWebGpu({ swiftshaderPath });

describe.runIf(ready)('webgpu in Node (Dawn on SwiftShader)', () => {
  it('activates webgpu on the software adapter and computes a correct matMul', async () => {
    const info = await initBackend(createWebgpuBackend({ swiftshaderPath }));
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.device).toBe('software-gpu');
    expect(info.adapter?.isSoftware).toBe(true);
    const a = seededFloats(17 * 23, 5);
    const b = seededFloats(23 * 11, 6);
    // Synchronous reads crash under Node's WebGPU (no OffscreenCanvas): await only.
    const got = await tf.matMul(tf.tensor2d(a, [17, 23]), tf.tensor2d(b, [23, 11])).data();
    expect(maxRelativeError(got, referenceMatMul(a, b, 17, 23, 11))).toBeLessThan(1e-4);
  });

  it("never lets the software adapter win 'auto'", async () => {
    const info = await initBackend('auto');
    expect(info.name).not.toBe('webgpu');
  });
});
