/**
 * On every backend variant of @gpt2/backends, a training step (model loss,
 * gradients, AdamW) runs each kernel contract the backend claims through its
 * kernel: no dispatch falls back to the reference chain where the backend
 * says it has the kernel (today: AdamWUpdate on wasm with the native addon).
 */
import { type BackendProvider, initBackend } from '@gpt2/backends';
import { createCpuBackend } from '@gpt2/backends/cpu';
import {
  fallbacksOnClaimingBackends,
  kernelDispatchCounts,
  resetKernelDispatchCounts,
} from '@gpt2/backends/kernels';
import { createWasmBackend } from '@gpt2/backends/wasm';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdamW } from './optimizer/adamw.js';

const VARIANTS: Array<{ label: string; provider: () => BackendProvider }> = [
  { label: 'cpu', provider: () => createCpuBackend() },
  { label: 'wasm, stock kernels', provider: () => createWasmBackend({ kernelOverrides: false }) },
  { label: 'wasm + XNNPACK overrides', provider: () => createWasmBackend({ nativeBlas: false }) },
  { label: 'wasm + native addon (when built)', provider: () => createWasmBackend() },
];

const config = resolveConfig({ preset: 'gpt2-tiny', vocabSize: 37, nPositions: 8, nLayer: 1 });

describe('kernel dispatch in a training step', () => {
  it.each(VARIANTS)('$label: every claimed kernel runs, none falls back', async ({ provider }) => {
    const info = await initBackend(provider());
    resetKernelDispatchCounts();
    const model = GPT2Model.create(config, { seed: 1 });
    const optimizer = new AdamW(model.parameters());
    for (let step = 0; step < 2; step++) {
      const { value, grads } = tf.variableGrads(() =>
        model.loss([[1, 2, 3, 4, 5, 6]], [[2, 3, 4, 5, 6, 7]], { training: true }),
      );
      const byName = new Map(
        [...model.parameters()].map(([name, v]) => [name, grads[v.name]!] as const),
      );
      optimizer.apply(byName, 1e-3);
      tf.dispose([value, ...Object.values(grads)]);
    }
    optimizer.dispose();
    model.dispose();
    expect(fallbacksOnClaimingBackends()).toEqual([]);
    const used = kernelDispatchCounts();
    for (const kernel of info.kernels) {
      const count = used.find((c) => c.kernel === kernel && c.backend === info.tfBackend);
      expect(count?.viaKernel, kernel).toBeGreaterThan(0);
    }
  });
});
