import {
  type KernelConfig,
  type KernelFunc,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { withRightOperand, xnnMatMul } from './batch-mat-mul.js';
import { heapLocation, type WasmBackendInternals } from './internals.js';

/**
 * `Sum` for wasm that reduces leading axes as a matMul with a row of ones:
 * for x viewed as [R, C], sum over R = ones [1, R] @ x [R, C], on XNNPACK's
 * fast path. The stock kernel first transposes x so the reduced axes are
 * innermost (a full copy), then reduces: 3–15× slower on the shapes training
 * produces, where bias and LayerNorm gradients sum [B·T, C] over B·T. Every
 * other reduction goes to the stock kernel.
 */
export function createSumOverride(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading || axes.length === 0 || axes.length === rank) {
      return stock.kernelFunc(args); // already fast, or not ours to do
    }
    const R = util.sizeFromShape(x.shape.slice(0, axes.length));
    const kept = x.shape.slice(axes.length);
    const C = util.sizeFromShape(kept);
    if (R * C === 0) return stock.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackendInternals;
    const ones = backend.makeOutput([1, R], 'float32');
    const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const out = backend.makeOutput(outShape, 'float32');
    try {
      const onesHeap = heapLocation(backend, ones);
      new Float32Array(backend.wasm.HEAPU8.buffer, onesHeap.offset, R).fill(1);
      const outId = heapLocation(backend, out).id;
      withRightOperand(backend, x, R, C, (xId) =>
        xnnMatMul(backend, onesHeap.id, 1, R, xId, C, outId),
      );
    } finally {
      backend.disposeData(ones.dataId);
    }
    return out;
  };
  return { kernelName: 'Sum', backendName: 'wasm', kernelFunc };
}
