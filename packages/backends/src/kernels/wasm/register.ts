import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE } from '../contracts/adamw-update.js';
import type { NativeBlas } from '../native/native-blas.js';
import { createNativeAdamWUpdate } from './adamw-update.js';
import { createBatchMatMulOverride } from './batch-mat-mul.js';
import { createConcatOverride } from './concat.js';
import { createGatherV2Override } from './gather.js';
import { createIdentityOverride } from './identity.js';
import { checkWasmInternals } from './internals.js';
import { createNativeBatchMatMul, createNativeSum } from './native-kernels.js';
import { createSliceOverride, createSplitVOverride } from './slice.js';
import { createSumOverride } from './sum.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/**
 * Kernels that tfjs-backend-wasm 4.22 lacks. Each is registered only where
 * the backend has none of its own, so an upstream fix wins.
 */
const WASM_PATCHES = [unsortedSegmentSumConfig];

/**
 * A faster kernel that replaces a stock one, and can hand cases back to it:
 * either a BLAS kernel with an XNNPACK and a native variant, or a `heap`
 * kernel that only moves bytes within the wasm heap and serves both.
 */
type KernelOverride =
  | {
      kernelName: string;
      /** On XNNPACK, inside the wasm module (always available). */
      xnnpack(stock: KernelConfig): KernelConfig;
      /** On OpenBLAS, through the native addon (Node, when built). */
      native(stock: KernelConfig, blas: NativeBlas): KernelConfig;
    }
  | { kernelName: string; heap(stock: KernelConfig): KernelConfig };

const WASM_OVERRIDES: KernelOverride[] = [
  {
    kernelName: 'BatchMatMul',
    xnnpack: createBatchMatMulOverride,
    native: createNativeBatchMatMul,
  },
  { kernelName: 'Sum', xnnpack: createSumOverride, native: createNativeSum },
  { kernelName: 'Identity', heap: createIdentityOverride },
  { kernelName: 'Slice', heap: createSliceOverride },
  { kernelName: 'SplitV', heap: createSplitVOverride },
  { kernelName: 'GatherV2', heap: createGatherV2Override },
  { kernelName: 'Concat', heap: createConcatOverride },
];

/** The stock kernels, kept so that the overrides can be switched off again. */
const stockKernels = new Map<string, KernelConfig>();
/** The overrides built so far, by stock kernel and kind. */
const built = new Map<KernelConfig, Map<string, KernelConfig>>();
/** The kernel functions this module registered. */
const ours = new WeakSet<object>();
let warned = false;
/** The fused AdamW kernel on the native addon, once built (null: the addon lacks it). */
let nativeAdamW: KernelConfig | null | undefined;

/** Options for {@link registerWasmKernels}. */
export interface WasmKernelOptions {
  /** Replace stock kernels with the faster overrides. */
  overrides: boolean;
  /** The active wasm backend instance (`tf.backend()`), checked for the internals the overrides use. */
  backend: unknown;
  /** The tfjs-backend-wasm version (`version_wasm`). */
  version: string;
  /** The native BLAS addon, when loaded: it then serves the overrides instead of XNNPACK. */
  native?: NativeBlas;
}

function replaceKernel(tfjs: typeof tf, config: KernelConfig): void {
  if (tfjs.getKernel(config.kernelName, 'wasm')?.kernelFunc === config.kernelFunc) return;
  if (tfjs.getKernel(config.kernelName, 'wasm')) tfjs.unregisterKernel(config.kernelName, 'wasm');
  tfjs.registerKernel(config);
}

/**
 * Register the wasm patches and, when asked and safe, the overrides; with
 * `overrides: false`, put the stock kernels back. Returns what is active, by
 * name, for `BackendInfo.patches`, and the kernel contracts implemented, for
 * `BackendInfo.kernels`. Kernels are looked up at every op, so the switch
 * takes effect at once (the benchmark compares both in one process).
 */
export function registerWasmKernels(
  tfjs: typeof tf,
  options: WasmKernelOptions,
): { patches: string[]; kernels: string[] } {
  const active: string[] = [];
  const kernels: string[] = [];
  for (const config of WASM_PATCHES) {
    const existing = tfjs.getKernel(config.kernelName, 'wasm');
    if (existing === undefined) tfjs.registerKernel(config);
    if (existing === undefined || existing.kernelFunc === config.kernelFunc) {
      active.push(config.kernelName);
    }
  }
  let problem: string | undefined;
  if (options.overrides) {
    problem = checkWasmInternals(options.backend, options.version);
    if (problem && !warned) {
      warned = true;
      console.warn(
        `@gpt2/backends: ${problem}; using the stock wasm kernels (correct, but training is several times slower).`,
      );
    }
  }
  const useOverrides = options.overrides && problem === undefined;
  for (const override of WASM_OVERRIDES) {
    const current = tfjs.getKernel(override.kernelName, 'wasm');
    if (current && !ours.has(current.kernelFunc)) stockKernels.set(override.kernelName, current);
    const stock = stockKernels.get(override.kernelName);
    if (!stock) continue; // the backend has no such kernel: nothing to override
    if (useOverrides) {
      const kind = 'heap' in override ? 'heap' : options.native ? 'openblas' : 'xnnpack';
      const byKind = built.get(stock) ?? new Map<string, KernelConfig>();
      built.set(stock, byKind);
      let config = byKind.get(kind);
      if (!config) {
        if ('heap' in override) config = override.heap(stock);
        else if (options.native) config = override.native(stock, options.native);
        else config = override.xnnpack(stock);
        byKind.set(kind, config);
        ours.add(config.kernelFunc);
      }
      replaceKernel(tfjs, config);
      active.push(`${override.kernelName} (${kind})`);
    } else {
      replaceKernel(tfjs, stock);
    }
  }
  // The fused AdamW step has no stock kernel and exists only on the native addon.
  const adamw = tfjs.getKernel(ADAMW_UPDATE.name, 'wasm');
  if (adamw && ours.has(adamw.kernelFunc)) tfjs.unregisterKernel(ADAMW_UPDATE.name, 'wasm');
  if (useOverrides && options.native && (!adamw || ours.has(adamw.kernelFunc))) {
    nativeAdamW ??= createNativeAdamWUpdate(options.native) ?? null;
    if (nativeAdamW) {
      ours.add(nativeAdamW.kernelFunc);
      tfjs.registerKernel(nativeAdamW);
      active.push(`${ADAMW_UPDATE.name} (native)`);
      kernels.push(ADAMW_UPDATE.name);
    }
  }
  return { patches: active, kernels };
}
