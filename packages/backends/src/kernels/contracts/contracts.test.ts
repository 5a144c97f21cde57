/**
 * The kernel contracts as a registry: their names are unique and none is one
 * of tfjs-core's own kernels, and every backend variant this package provides
 * registers custom kernels only under a contract's name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { createWasmBackend } from '../../providers/wasm.js';
import { createWebgpuBackend } from '../../providers/webgpu.js';
import { requireSoftwareWebGpu } from '../../testing/require-system.js';
import { KERNEL_CONTRACTS } from './index.js';

/** tfjs-core's kernel names: its exported string constants named as their value (`Abs = 'Abs'`). */
const TFJS_KERNELS = new Set(
  Object.entries(tf)
    .filter(([key, value]) => typeof value === 'string' && key === value)
    .map(([, value]) => value as string),
);
const CONTRACT_NAMES = new Set(KERNEL_CONTRACTS.map((contract) => contract.name));

describe('kernel contracts', () => {
  it('have unique names that are not tfjs-core kernels', () => {
    expect(TFJS_KERNELS.size).toBeGreaterThan(150);
    expect(CONTRACT_NAMES.size).toBe(KERNEL_CONTRACTS.length);
    expect(KERNEL_CONTRACTS.map((c) => c.name).filter((name) => TFJS_KERNELS.has(name))).toEqual(
      [],
    );
  });

  it('name their inputs and outputs, and give a tolerance', () => {
    for (const contract of KERNEL_CONTRACTS) {
      expect(contract.inputNames.length, contract.name).toBeGreaterThan(0);
      expect(contract.outputNames.length, contract.name).toBeGreaterThan(0);
      expect(contract.tolerance, contract.name).toBeGreaterThanOrEqual(0);
    }
  });
});

const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const VARIANTS: Array<{ label: string; init: () => Promise<unknown>; when?: () => boolean }> = [
  { label: 'cpu', init: () => initBackend('cpu') },
  {
    label: 'wasm, stock kernels',
    init: () => initBackend(createWasmBackend({ kernelOverrides: false })),
  },
  {
    label: 'wasm + XNNPACK overrides',
    init: () => initBackend(createWasmBackend({ nativeBlas: false })),
  },
  { label: 'wasm + native addon (when built)', init: () => initBackend('wasm') },
  {
    label: 'webgpu (SwiftShader)',
    init: () => initBackend(createWebgpuBackend({ swiftshaderPath })),
    when: () => requireSoftwareWebGpu({ swiftshaderPath }),
  },
];

/** Kernels registered on `backend` that are neither tfjs-core's nor a contract's. */
function uncontracted(backend: string): string[] {
  return tf
    .getKernelsForBackend(backend)
    .map((config) => config.kernelName)
    .filter((name) => !TFJS_KERNELS.has(name) && !CONTRACT_NAMES.has(name));
}

describe('custom kernels registered by the backends', () => {
  it.for(VARIANTS)('$label: every one has a contract', async ({ init, when }, context) => {
    if (when && !when()) {
      context.skip();
      return;
    }
    await init();
    expect(uncontracted(tf.getBackend())).toEqual([]);
  });

  it('the check catches a kernel registered under a name no contract defines', async () => {
    await initBackend('cpu');
    const kernelName = ['AdamW', 'Update2'].join(''); // a near miss, as a typo would be
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: () => [] });
    try {
      expect(uncontracted('cpu')).toEqual([kernelName]);
    } finally {
      tf.unregisterKernel(kernelName, 'cpu');
    }
  });
});
