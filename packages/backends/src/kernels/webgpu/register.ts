import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { createChunkedAddN } from './add-n.js';

/**
 * Kernels that replace tfjs-backend-webgpu's where its own break a device
 * limit. `Concat` needs none: tfjs already concatenates in groups of
 * `maxStorageBuffersPerShaderStage − 1` (the conformance test checks it).
 */
const WEBGPU_OVERRIDES: {
  kernelName: string;
  label: string;
  create(stock: KernelConfig): KernelConfig;
}[] = [{ kernelName: 'AddN', label: 'AddN (chunked)', create: createChunkedAddN }];

/** The stock kernels, kept so that the overrides can be switched off again. */
const stockKernels = new Map<string, KernelConfig>();
/** The override built for each stock kernel. */
const built = new Map<KernelConfig, KernelConfig>();

function replaceKernel(tfjs: typeof tf, config: KernelConfig): void {
  if (tfjs.getKernel(config.kernelName, 'webgpu')?.kernelFunc === config.kernelFunc) return;
  if (tfjs.getKernel(config.kernelName, 'webgpu'))
    tfjs.unregisterKernel(config.kernelName, 'webgpu');
  tfjs.registerKernel(config);
}

/**
 * Register the webgpu overrides, or with `overrides: false` put tfjs's stock
 * kernels back (to reproduce what tfjs alone does). Idempotent. Returns the
 * labels of the active overrides, for `BackendInfo.patches`.
 */
export function registerWebGpuKernels(tfjs: typeof tf, options: { overrides: boolean }): string[] {
  const active: string[] = [];
  for (const override of WEBGPU_OVERRIDES) {
    const current = tfjs.getKernel(override.kernelName, 'webgpu');
    if (!current) continue;
    const isOurs = [...built.values()].some((config) => config.kernelFunc === current.kernelFunc);
    if (!isOurs) stockKernels.set(override.kernelName, current);
    const stock = stockKernels.get(override.kernelName)!;
    if (!options.overrides) {
      replaceKernel(tfjs, stock);
      continue;
    }
    let config = built.get(stock);
    if (!config) {
      config = override.create(stock);
      built.set(stock, config);
    }
    replaceKernel(tfjs, config);
    active.push(override.label);
  }
  return active;
}
