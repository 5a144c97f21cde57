import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/native-blas.js';
import { heapLocation, type WasmBackendInternals } from './internals.js';

/**
 * Kernel name of the fused AdamW step. @gpt2/trainer's `AdamW` runs it by
 * this name when the active backend has it, and its chain of element-wise
 * ops otherwise (the same numbers either way). Registered for wasm when the
 * native addon serves the overrides.
 */
export const ADAMW_UPDATE = 'AdamWUpdate';

/**
 * Attributes of {@link ADAMW_UPDATE}. For each element, in float32 and in
 * torch.optim.AdamW's order (torch 1.13 `_single_tensor_adamw`):
 *   g = grad·gradScale;  p = param·decay
 *   m' = m·β1 + g·(1 − β1);  v' = v·β2 + g·g·(1 − β2)
 *   param' = p + m' / (√v' / biasCorrection2Sqrt + eps) · (−stepSize)
 * Outputs: [param', m', v'].
 */
export interface AdamWUpdateAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 − β1^step). */
  stepSize: number;
  /** √(1 − β2^step). */
  biasCorrection2Sqrt: number;
  /** 1 − lr·weightDecay for decayed parameters, 1 for the others. */
  decay: number;
  /** Multiplies the gradient first (the clipping coefficient); 1 for none. */
  gradScale: number;
}

/**
 * The fused AdamW step for wasm on the native addon, in place on the heap:
 * one pass over the four arrays instead of ~14 element-wise kernels, each a
 * pass of its own (~0.8M parameters in 52 tensors took ~7 ms a step, mostly
 * per-kernel cost). The addon rounds every operation to float32 as the
 * chain's kernels do, so the results match the chain bit for bit. There is
 * no JavaScript version: a plain loop lost to the chain's SIMD kernels.
 */
export function createNativeAdamWUpdate(blas: NativeBlas): KernelConfig | undefined {
  const update = blas.adamwUpdate?.bind(blas);
  if (!update) return undefined; // an addon built before adamwUpdate existed
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const param = inputs.param as TensorInfo;
    const tensors = [param, inputs.m, inputs.v, inputs.grad] as TensorInfo[];
    const size = util.sizeFromShape(param.shape);
    for (const t of tensors) {
      if (t?.dtype !== 'float32' || util.sizeFromShape(t.shape) !== size) {
        throw new TypeError(
          `${ADAMW_UPDATE}: param, m, v and grad must be float32 of one size, got ${tensors.map((x) => `${x?.dtype} [${x?.shape}]`).join(', ')}.`,
        );
      }
    }
    const a = attrs as unknown as AdamWUpdateAttrs;
    const wasm = backend as unknown as WasmBackendInternals;
    const outs = [0, 1, 2].map(() => wasm.makeOutput(param.shape, 'float32'));
    if (size === 0) return outs;
    // Offsets after makeOutput: growing the memory replaces the buffer.
    const offsets = Float64Array.from([...tensors, ...outs], (t) => heapLocation(wasm, t).offset);
    update(
      wasm.wasm.HEAPU8.buffer as ArrayBuffer,
      offsets,
      size,
      a.beta1,
      a.beta2,
      a.eps,
      a.stepSize,
      a.biasCorrection2Sqrt,
      a.decay,
      a.gradScale,
    );
    return outs;
  };
  return { kernelName: ADAMW_UPDATE, backendName: 'wasm', kernelFunc };
}
