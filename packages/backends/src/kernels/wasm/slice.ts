import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type SliceAttrs,
  type SplitVAttrs,
  slice_util,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapLocation, type WasmBackendInternals } from './internals.js';

/**
 * Copies the box `begin`/`size` of `x` into a new tensor, as runs of
 * contiguous bytes moved with `copyWithin` inside the wasm heap.
 */
function sliceOnHeap(
  backend: WasmBackendInternals,
  x: TensorInfo,
  begin: number[],
  size: number[],
): TensorInfo {
  const out = backend.makeOutput(size, x.dtype as 'float32' | 'int32');
  const count = util.sizeFromShape(size);
  if (count === 0) return out;
  // Read the heap after makeOutput: growing the memory replaces the buffer.
  const heap = backend.wasm.HEAPU8;
  const bytes = util.bytesPerElement(x.dtype);
  const from = heapLocation(backend, x).offset;
  let to = heapLocation(backend, out).offset;
  const strides = util.computeStrides(x.shape);
  // Fold the trailing axes that are taken whole into one run: a slice along
  // axis 0, or q/k/v column blocks of [rows, 3C], is then one copy per row or
  // one in all.
  let inner = size.length - 1;
  while (inner > 0 && size[inner] === x.shape[inner] && begin[inner] === 0) inner--;
  const run = util.sizeFromShape(size.slice(inner)) * bytes;
  const outer = size.slice(0, inner);
  const index = new Array<number>(inner).fill(0);
  const rows = util.sizeFromShape(outer);
  for (let row = 0; row < rows; row++) {
    let element = begin[inner]! * (strides[inner] ?? 1);
    for (let d = 0; d < inner; d++) element += (begin[d]! + index[d]!) * strides[d]!;
    const start = from + element * bytes;
    heap.copyWithin(to, start, start + run);
    to += run;
    for (let d = inner - 1; d >= 0; d--) {
      if (++index[d]! < outer[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * `Slice` for wasm that copies within the heap. The stock kernel starts with
 * `readSync(x)`, which copies the whole input out of the heap before taking
 * the box: splitting a [B·T, 3C] q/k/v activation three ways copied it three
 * times, then sliced it row by row with a fresh subarray per row. Strings
 * keep the stock kernel.
 */
export function createSliceOverride(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return stock.kernelFunc(args);
    const attrs = args.attrs as unknown as SliceAttrs;
    const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [
      number[],
      number[],
    ];
    return sliceOnHeap(args.backend as unknown as WasmBackendInternals, x, begin, size);
  };
  return { kernelName: 'Slice', backendName: 'wasm', kernelFunc };
}

/** `SplitV` for wasm on the same heap copies as {@link createSliceOverride}. */
export function createSplitVOverride(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return stock.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
    const $axis = util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
    const backend = args.backend as unknown as WasmBackendInternals;
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[$axis] = s;
      const part = sliceOnHeap(backend, x, begin, size);
      begin[$axis]! += s;
      return part;
    });
  };
  return { kernelName: 'SplitV', backendName: 'wasm', kernelFunc };
}
