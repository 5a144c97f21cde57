import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { CAUSAL_ATTENTION, CAUSAL_ATTENTION_GRAD } from '../contracts/causal-attention.js';
import { GELU, GELU_GRAD } from '../contracts/gelu.js';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../contracts/layer-norm.js';
import {
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
} from '../contracts/softmax-cross-entropy.js';
import { createNativeAdamWUpdate } from './adamw-update.js';
import type { NativeBackend } from './backend.js';
import {
  createNativeAddN,
  createNativeBinary,
  createNativeCast,
  createNativeSelect,
  createNativeUnary,
} from './elementwise.js';
import {
  nativeCausalAttention,
  nativeCausalAttentionGrad,
  nativeGelu,
  nativeGeluGrad,
  nativeLayerNorm,
  nativeLayerNormGrad,
  nativeSoftmaxCrossEntropy,
  nativeSoftmaxCrossEntropyGrad,
} from './fused.js';
import {
  createNativeConcat,
  createNativeGatherV2,
  createNativePadV2,
  createNativeSlice,
  createNativeSplitV,
  createNativeTranspose,
  createNativeUnsortedSegmentSum,
} from './layout.js';
import { createNativeBatchMatMul, createNativeFusedMatMul } from './matmul.js';
import { BINARY_OP, REDUCE_OP, UNARY_OP } from './native-kernels.js';
import { createNativeReduce, createNativeSoftmax } from './reduce.js';

/** The tfjs backend name. */
export const NATIVE_BACKEND = 'native';

/** A native kernel, built from the stock cpu kernel it falls back to (absent for new kernels). */
type NativeKernelFactory = (stock: KernelConfig) => KernelConfig;

/** The kernels that run in the addon, by name; every other cpu kernel is registered as it is. */
const NATIVE_KERNELS: Record<string, NativeKernelFactory> = {
  BatchMatMul: createNativeBatchMatMul,
  _FusedMatMul: createNativeFusedMatMul,
  ...Object.fromEntries(
    (Object.keys(BINARY_OP) as (keyof typeof BINARY_OP)[]).map((name) => [
      name,
      (stock: KernelConfig) => createNativeBinary(name, stock),
    ]),
  ),
  ...Object.fromEntries(
    (Object.keys(UNARY_OP) as (keyof typeof UNARY_OP)[]).map((name) => [
      name,
      (stock: KernelConfig) => createNativeUnary(name, stock),
    ]),
  ),
  ...Object.fromEntries(
    (Object.keys(REDUCE_OP) as (keyof typeof REDUCE_OP)[]).map((name) => [
      name,
      (stock: KernelConfig) => createNativeReduce(name, stock),
    ]),
  ),
  Softmax: createNativeSoftmax,
  Select: createNativeSelect,
  AddN: createNativeAddN,
  Cast: createNativeCast,
  Transpose: createNativeTranspose,
  Slice: createNativeSlice,
  SplitV: (_stock) => createNativeSplitV(tf.getKernel('Slice', 'cpu')!),
  Concat: createNativeConcat,
  GatherV2: createNativeGatherV2,
  PadV2: createNativePadV2,
  UnsortedSegmentSum: createNativeUnsortedSegmentSum,
};

/** Kernels with no cpu counterpart: the kernel contracts (`kernels/contracts`). */
const NEW_KERNELS: (() => KernelConfig)[] = [
  createNativeAdamWUpdate,
  ...(
    [
      [GELU, nativeGelu],
      [GELU_GRAD, nativeGeluGrad],
      [LAYER_NORM, nativeLayerNorm],
      [LAYER_NORM_GRAD, nativeLayerNormGrad],
      [CAUSAL_ATTENTION, nativeCausalAttention],
      [CAUSAL_ATTENTION_GRAD, nativeCausalAttentionGrad],
      [SOFTMAX_CROSS_ENTROPY, nativeSoftmaxCrossEntropy],
      [SOFTMAX_CROSS_ENTROPY_GRAD, nativeSoftmaxCrossEntropyGrad],
    ] as const
  ).map(([contract, kernelFunc]) => () => ({
    kernelName: contract.name,
    backendName: NATIVE_BACKEND,
    kernelFunc,
  })),
];

/** The contract kernels the native backend implements, for `BackendInfo.kernels`. */
export const NATIVE_CONTRACT_KERNELS: readonly string[] = NEW_KERNELS.map(
  (make) => make().kernelName,
);

/** Time and calls per kernel name, while {@link timeNativeKernels} runs. */
let timings: Map<string, { ms: number; calls: number }> | undefined;

/**
 * Marks arrays written while a kernel runs as the backend's own (so that
 * dispose may free them at once; see {@link NativeBackend}), and times the
 * kernel when asked. tfjs's profiler would read every output (to look for
 * NaN), which hands each array out and so keeps it from being freed early.
 */
function tracked(kernelName: string, kernelFunc: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as NativeBackend;
    const start = timings && backend.kernelDepth === 0 ? performance.now() : -1;
    backend.kernelDepth++;
    try {
      return kernelFunc(args);
    } finally {
      backend.kernelDepth--;
      if (start >= 0 && timings) {
        const entry = timings.get(kernelName) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - start;
        entry.calls++;
        timings.set(kernelName, entry);
      }
    }
  };
}

/**
 * Run `body` and report the time spent in each native-backend kernel (wall
 * time: the kernels are synchronous), by kernel name.
 */
export async function timeNativeKernels<T>(
  body: () => Promise<T> | T,
): Promise<{ result: T; kernels: Map<string, { ms: number; calls: number }> }> {
  const kernels = new Map<string, { ms: number; calls: number }>();
  const previous = timings;
  timings = kernels;
  try {
    return { result: await body(), kernels };
  } finally {
    timings = previous;
  }
}

let registered: string[] | undefined;

/**
 * Register every cpu kernel for the 'native' backend, the hot ones replaced
 * by their native versions. Needs the cpu kernels registered first (importing
 * @tensorflow/tfjs-backend-cpu does). Once per process; returns the names of
 * the native kernels.
 */
export function registerNativeKernels(): string[] {
  if (registered) return registered;
  const natives: string[] = [];
  for (const stock of tf.getKernelsForBackend('cpu')) {
    const factory = NATIVE_KERNELS[stock.kernelName];
    const config = factory ? factory(stock) : stock;
    if (factory) natives.push(stock.kernelName);
    tf.registerKernel({
      ...config,
      backendName: NATIVE_BACKEND,
      kernelFunc: tracked(config.kernelName, config.kernelFunc),
    });
  }
  for (const make of NEW_KERNELS) {
    const config = make();
    natives.push(config.kernelName);
    tf.registerKernel({
      ...config,
      backendName: NATIVE_BACKEND,
      kernelFunc: tracked(config.kernelName, config.kernelFunc),
    });
  }
  registered = natives.sort();
  return registered;
}
