import { type KernelConfig, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE } from '../contracts/adamw-update.js';
import { contractKernelConfig } from '../contracts/register.js';
import type { NativeBlas } from '../native/native-blas.js';
import { heapLocation, type WasmBackendInternals } from './internals.js';

/**
 * {@link ADAMW_UPDATE} for wasm on the native addon, on the heap: one pass
 * over the four arrays instead of ~14 element-wise kernels, each a pass of
 * its own (~0.8M parameters in 52 tensors took ~7 ms a step, mostly
 * per-kernel cost). With `inPlace`, the results overwrite param, m and v:
 * a step then allocates nothing. The addon rounds every operation to float32 as the
 * reference chain's kernels do, so the results match it bit for bit. There is
 * no JavaScript version: a plain loop lost to the chain's SIMD kernels.
 */
export function createNativeAdamWUpdate(blas: NativeBlas): KernelConfig | undefined {
  const update = blas.adamwUpdate?.bind(blas);
  if (!update) return undefined; // an addon built before adamwUpdate existed
  return contractKernelConfig(ADAMW_UPDATE, 'wasm', ({ inputs, backend, attrs }) => {
    const { param } = inputs;
    const tensors: TensorInfo[] = [param, inputs.m, inputs.v, inputs.grad];
    const size = util.sizeFromShape(param.shape);
    for (const t of tensors) {
      if (t?.dtype !== 'float32' || util.sizeFromShape(t.shape) !== size) {
        throw new TypeError(
          `${ADAMW_UPDATE.name}: param, m, v and grad must be float32 of one size, got ${tensors.map((x) => `${x?.dtype} [${x?.shape}]`).join(', ')}.`,
        );
      }
    }
    const wasm = backend as unknown as WasmBackendInternals;
    const state = [param, inputs.m, inputs.v];
    // In place when the caller allows it and nothing else shares the buffers
    // (a checkpoint's clone of a moment would): the addon reads each element
    // before it writes it, so the outputs may alias the inputs.
    const inPlace =
      attrs.inPlace === true &&
      new Set(state.map((t) => t.dataId)).size === 3 &&
      state.every((t) => wasm.refCount(t.dataId) === 1);
    const outs = inPlace ? state : [0, 1, 2].map(() => wasm.makeOutput(param.shape, 'float32'));
    if (size === 0 && !inPlace) return outs;
    // Offsets after makeOutput: growing the memory replaces the buffer.
    const offsets = Float64Array.from([...tensors, ...outs], (t) => heapLocation(wasm, t).offset);
    update(
      wasm.wasm.HEAPU8.buffer as ArrayBuffer,
      offsets,
      size,
      attrs.beta1,
      attrs.beta2,
      attrs.eps,
      attrs.stepSize,
      attrs.biasCorrection2Sqrt,
      attrs.decay,
      attrs.gradScale,
    );
    if (!inPlace) return outs;
    // XNNPACK caches a weight's packing under its tensor id: the values
    // changed under the same id, so register it afresh (drops the cache).
    const { id, offset } = heapLocation(wasm, param);
    wasm.wasm.tfjs.disposeData(id);
    wasm.wasm.tfjs.registerTensor(id, size, offset);
    return state.map((t) => {
      wasm.incRef(t.dataId);
      return { dataId: t.dataId, shape: [...t.shape], dtype: 'float32' as const };
    });
  });
}
