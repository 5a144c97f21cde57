import type {
  KernelConfig,
  KernelFunc,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import { scatterAddRows, segmentSumShape } from '../shared/segment-sum.js';

/** The public surface of tfjs-backend-wasm's backend that this kernel needs. */
interface WasmBackendLike {
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}

/**
 * `UnsortedSegmentSum` for wasm, which ships without it. tfjs differentiates
 * `gather` (the embedding lookup) into this op, so without it no model with an
 * embedding can train on wasm.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const shape = segmentSumShape('wasm', x, segmentIds, attrs as unknown as UnsortedSegmentSumAttrs);
  // Copies: the heap may move when makeOutput grows it, invalidating views.
  const values = Float32Array.from(wasm.readSync(x.dataId) as ArrayLike<number>);
  const ids = Int32Array.from(wasm.readSync(segmentIds.dataId) as ArrayLike<number>);
  const out = wasm.makeOutput(shape.outShape, x.dtype as 'float32' | 'int32');
  const outValues = wasm.typedArrayFromHeap(out);
  outValues.fill(0);
  scatterAddRows(values, ids, shape, outValues);
  return out;
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
