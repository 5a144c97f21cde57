/**
 * The fused WGSL kernels this package registers for tfjs's `webgpu` backend,
 * one per kernel contract (@gpt2/backends/kernels). The webgpu provider calls
 * {@link registerFusedWebGpuKernels} when it activates the backend.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { AnyKernelContract } from '../contracts/contract.js';
import { KERNEL_CONTRACTS } from '../contracts/index.js';
import { adamWUpdateMultiKernel } from './adamw-update.js';
import { createCausalAttentionKernels } from './causal-attention.js';
import { geluGradKernel, geluKernel } from './gelu.js';
import { webGpuInternals } from './internals.js';
import { layerNormGradKernel, layerNormKernel } from './layer-norm.js';
import { matMulBiasGeluKernel } from './matmul-bias-gelu.js';
import {
  softmaxCrossEntropyGradKernel,
  softmaxCrossEntropyKernel,
} from './softmax-cross-entropy.js';

/**
 * A contract's reference chain run from inside a kernel, for shapes a WGSL
 * kernel does not serve (attention heads larger than `MAX_HEAD_SIZE`): the
 * engine passes the input tensors through, and takes the chain's tensors back.
 */
function referenceChain(tfjs: typeof tf) {
  const byName = new Map<string, AnyKernelContract>(KERNEL_CONTRACTS.map((c) => [c.name, c]));
  return (name: string, inputs: object, attrs: object): TensorInfo[] =>
    tfjs.tidy(() => [
      ...byName.get(name)!.reference(inputs as never, attrs as NamedAttrMap),
    ]) as TensorInfo[];
}

/** The fused kernels, each under its contract's name. */
function fusedKernels(tfjs: typeof tf): KernelConfig[] {
  return [
    geluKernel,
    geluGradKernel,
    matMulBiasGeluKernel,
    layerNormKernel,
    layerNormGradKernel,
    ...createCausalAttentionKernels(referenceChain(tfjs)),
    softmaxCrossEntropyKernel,
    softmaxCrossEntropyGradKernel,
    adamWUpdateMultiKernel,
  ];
}

/** What {@link registerFusedWebGpuKernels} did. */
export interface FusedKernelRegistration {
  /** Contract names now served by a fused kernel on `webgpu`. */
  kernels: string[];
  /** Why none were registered, when that is so (tfjs internals not as expected). */
  skipped?: string;
}

/**
 * Register the fused kernels on tfjs's active `webgpu` backend, or with
 * `enabled: false` remove them (tfjs's stock kernels and the contracts'
 * reference chains then run, for comparisons). Idempotent.
 */
export function registerFusedWebGpuKernels(
  tfjs: typeof tf,
  options: { enabled: boolean },
): FusedKernelRegistration {
  const kernels = fusedKernels(tfjs);
  for (const config of kernels) {
    if (tfjs.getKernel(config.kernelName, 'webgpu')) {
      tfjs.unregisterKernel(config.kernelName, 'webgpu');
    }
  }
  if (!options.enabled) return { kernels: [] };
  const internals = webGpuInternals(tfjs.findBackend('webgpu'));
  if (typeof internals === 'string') return { kernels: [], skipped: internals };
  for (const config of kernels) tfjs.registerKernel(config);
  return { kernels: kernels.map((config) => config.kernelName) };
}
