/**
 * `@gpt2/backends/kernels`: one contract per custom kernel, the dispatcher
 * that library ops run them through, and the helper that backends register
 * implementations with; and the backends' memory limits with the one
 * out-of-memory error that every package throws. Imports only
 * `@tensorflow/tfjs-core`; @gpt2/model and @gpt2/trainer depend on
 * @gpt2/backends for this subpath alone.
 */

import { ADAMW_UPDATE } from './adamw-update.js';
import { ADAMW_UPDATE_MULTI } from './adamw-update-multi.js';
import { CAUSAL_ATTENTION, CAUSAL_ATTENTION_GRAD } from './causal-attention.js';
import type { AnyKernelContract } from './contract.js';
import { GELU, GELU_GRAD } from './gelu.js';
import { GPT2_BLOCK } from './gpt2-block.js';
import { LAYER_NORM, LAYER_NORM_GRAD } from './layer-norm.js';
import { MATMUL_BIAS_GELU } from './matmul-bias-gelu.js';
import { SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD } from './softmax-cross-entropy.js';

export {
  ADAMW_UPDATE,
  type AdamWUpdateAttrs,
  type AdamWUpdateInputs,
} from './adamw-update.js';
export {
  ADAMW_UPDATE_MULTI,
  type AdamWUpdateMultiAttrs,
  type AdamWUpdateMultiInputs,
  adamWUpdateMultiInputs,
} from './adamw-update-multi.js';
export {
  CAUSAL_ATTENTION,
  CAUSAL_ATTENTION_GRAD,
  CAUSAL_MASK_VALUE,
  type CausalAttentionAttrs,
  type CausalAttentionChainOptions,
  type CausalAttentionGradInputs,
  type CausalAttentionInputs,
  causalAttentionChain,
  causalMask,
} from './causal-attention.js';
export {
  type AnyKernelContract,
  type ContractKernelFunc,
  defineKernelContract,
  type KernelContract,
  type KernelInputInfos,
  type KernelInputs,
  type NoAttrs,
} from './contract.js';
export {
  claimKernels,
  dispatch,
  fallbacksOnClaimingBackends,
  hasKernel,
  type KernelDispatchCount,
  kernelDispatchCounts,
  resetKernelDispatchCounts,
  runKernel,
  useKernel,
} from './dispatch.js';
export {
  GELU,
  GELU_COEFFICIENTS,
  GELU_GRAD,
  type GeluGradInputs,
  type GeluInputs,
  geluBackwardChain,
  geluForwardChain,
} from './gelu.js';
export {
  GPT2_BLOCK,
  type GPT2BlockAttrs,
  type GPT2BlockInputs,
  gpt2BlockChain,
} from './gpt2-block.js';
export {
  LAYER_NORM,
  LAYER_NORM_GRAD,
  type LayerNormAttrs,
  type LayerNormGradInputs,
  type LayerNormInputs,
  layerNormBackwardChain,
  layerNormForwardChain,
} from './layer-norm.js';
export {
  MATMUL_BIAS_GELU,
  type MatMulBiasGeluInputs,
  matMulBiasGeluChain,
} from './matmul-bias-gelu.js';
export {
  formatBytes,
  type MemoryLimit,
  type MemoryLimitOptions,
  memoryLimit,
  WASM_HEAP_LIMIT_BYTES,
} from './memory-limit.js';

export {
  type MemoryNeed,
  OutOfMemoryError,
  type OutOfMemoryErrorOptions,
  outOfMemoryRemedies,
} from './out-of-memory-error.js';
export { contractKernelConfig } from './register.js';
export {
  crossEntropyRowsChain,
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  type SoftmaxCrossEntropyAttrs,
  type SoftmaxCrossEntropyGradInputs,
  type SoftmaxCrossEntropyInputs,
} from './softmax-cross-entropy.js';

/**
 * Every contract, forward and gradient. A backend may register a custom
 * kernel (one that is not tfjs-core's own) only under one of these names;
 * a test enforces it.
 */
export const KERNEL_CONTRACTS: readonly AnyKernelContract[] = [
  ADAMW_UPDATE,
  ADAMW_UPDATE_MULTI,
  GELU,
  GELU_GRAD,
  MATMUL_BIAS_GELU,
  LAYER_NORM,
  LAYER_NORM_GRAD,
  CAUSAL_ATTENTION,
  CAUSAL_ATTENTION_GRAD,
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  GPT2_BLOCK,
];
