import type * as tf from '@tensorflow/tfjs-core';
import { cpuUnsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/** Stock cpu kernels that are replaced because they are asymptotically slow. */
const CPU_REPLACEMENTS = [cpuUnsortedSegmentSumConfig];

/** Register the cpu replacements (idempotent); returns their names for `BackendInfo.patches`. */
export function registerCpuKernels(tfjs: typeof tf): string[] {
  for (const config of CPU_REPLACEMENTS) {
    const current = tfjs.getKernel(config.kernelName, 'cpu');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) tfjs.unregisterKernel(config.kernelName, 'cpu');
    tfjs.registerKernel(config);
  }
  return CPU_REPLACEMENTS.map((config) => config.kernelName);
}
