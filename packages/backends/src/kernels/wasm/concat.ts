import {
  backend_util,
  type ConcatAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapLocation, type WasmBackendInternals } from './internals.js';

/**
 * `Concat` for wasm that interleaves the inputs' rows with `copyWithin`
 * inside the heap. The stock kernel does the same walk with a fresh subarray
 * per row and input; this is the gradient of every `split` (the q/k/v split
 * of attention). Strings, and a concat of one non-empty input, keep the stock
 * kernel.
 */
export function createConcatOverride(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const first = inputs[0];
    if (!first || inputs.some((t) => t.dtype === 'string' || t.dtype !== first.dtype)) {
      return stock.kernelFunc(args);
    }
    const axis = util.parseAxisParam((args.attrs as unknown as ConcatAttrs).axis, first.shape)[0]!;
    const shapes = inputs.map((t) => t.shape);
    backend_util.assertParamsConsistent(shapes, axis);
    const parts = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
    if (parts.length < 2) return stock.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackendInternals;
    const outShape = backend_util.computeOutShape(shapes, axis);
    const out = backend.makeOutput(outShape, first.dtype as 'float32' | 'int32');
    // Read the heap after makeOutput: growing the memory replaces the buffer.
    const heap = backend.wasm.HEAPU8;
    const bytes = util.bytesPerElement(first.dtype);
    const rows = util.sizeFromShape(first.shape.slice(0, axis));
    const runs = parts.map((t) => util.sizeFromShape(t.shape.slice(axis)) * bytes);
    const starts = parts.map((t) => heapLocation(backend, t).offset);
    let to = heapLocation(backend, out).offset;
    for (let row = 0; row < rows; row++) {
      for (let i = 0; i < parts.length; i++) {
        const run = runs[i]!;
        const from = starts[i]! + row * run;
        heap.copyWithin(to, from, from + run);
        to += run;
      }
    }
    return out;
  };
  return { kernelName: 'Concat', backendName: 'wasm', kernelFunc };
}
