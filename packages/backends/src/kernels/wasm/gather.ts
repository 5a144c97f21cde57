import {
  backend_util,
  type GatherV2Attrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapLocation, type WasmBackendInternals } from './internals.js';

/** Below this many elements per gathered slice, a typed-array loop beats one `copyWithin` each. */
const MIN_COPY_RUN = 16;

/**
 * `GatherV2` for wasm that copies whole slices within the heap. The stock
 * kernel's C loop is generic over strides and took ~9 ms to look up 2,048
 * rows of a [85, 128] embedding table (0.2 ms here); it also copies the
 * indices out of the heap. Same checks and result: an index outside
 * [0, dim) throws. Booleans and strings keep the stock kernel.
 */
export function createGatherV2Override(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const indices = args.inputs.indices as TensorInfo;
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') {
      return stock.kernelFunc(args);
    }
    const { axis, batchDims } = args.attrs as unknown as GatherV2Attrs;
    const parsedAxis = util.parseAxisParam(axis, x.shape)[0]!;
    const info = backend_util.segment_util.collectGatherOpShapeInfo(
      x,
      indices,
      parsedAxis,
      batchDims,
    );
    const backend = args.backend as unknown as WasmBackendInternals;
    const out = backend.makeOutput(info.outputShape, x.dtype);
    const total = util.sizeFromShape(indices.shape);
    if (util.sizeFromShape(info.outputShape) === 0) return out;
    // Views after makeOutput: growing the memory replaces the buffer.
    const buffer = backend.wasm.HEAPU8.buffer;
    const ids = new Int32Array(buffer, heapLocation(backend, indices).offset, total);
    const dim = info.dimSize;
    for (let i = 0; i < total; i++) {
      const index = ids[i]!;
      if (!(index >= 0 && index < dim)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
      }
    }
    const perBatch = total / info.batchSize;
    const slice = info.sliceSize;
    // Word indices from unsigned byte offsets: past 2 GiB, `offset >> 2` would be negative.
    const xBase = heapLocation(backend, x).offset >>> 2;
    const outBase = heapLocation(backend, out).offset >>> 2;
    const words = new Int32Array(buffer); // 4-byte words: float32 and int32 alike
    let to = outBase;
    for (let b = 0; b < info.batchSize; b++) {
      for (let o = 0; o < info.outerSize; o++) {
        const rowBase = xBase + (b * info.outerSize + o) * dim * slice;
        for (let j = 0; j < perBatch; j++) {
          const from = rowBase + ids[b * perBatch + j]! * slice;
          if (slice >= MIN_COPY_RUN) words.copyWithin(to, from, from + slice);
          else for (let k = 0; k < slice; k++) words[to + k] = words[from + k]!;
          to += slice;
        }
      }
    }
    return out;
  };
  return { kernelName: 'GatherV2', backendName: 'wasm', kernelFunc };
}
