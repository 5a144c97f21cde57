import type * as tf from '@tensorflow/tfjs-core';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/**
 * Kernels that tfjs-backend-wasm 4.22 lacks or gets wrong. Each is registered
 * only where the backend has none of its own, so an upstream fix wins.
 */
const WASM_PATCHES = [unsortedSegmentSumConfig];

/** Register the wasm patches; returns the names of the kernels added. */
export function registerWasmPatches(tfjs: typeof tf): string[] {
  const added: string[] = [];
  for (const config of WASM_PATCHES) {
    const existing = tfjs.getKernel(config.kernelName, 'wasm');
    if (existing === undefined) tfjs.registerKernel(config);
    if (existing === undefined || existing.kernelFunc === config.kernelFunc) {
      added.push(config.kernelName);
    }
  }
  return added;
}
