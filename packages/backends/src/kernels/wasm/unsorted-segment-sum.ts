import type {
  KernelConfig,
  KernelFunc,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';

/** The public surface of tfjs-backend-wasm's backend that this kernel needs. */
interface WasmBackendLike {
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}

/**
 * `UnsortedSegmentSum` for wasm, which ships without it. tfjs differentiates
 * `gather` (the embedding lookup) into this op, so without it no model with an
 * embedding can train on wasm. Output row `s` is the sum of the rows of `x`
 * whose segment id is `s`; ids outside `[0, numSegments)` are dropped, as in TF.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const rows = x.shape[0] ?? 0;
  const rowSize = rows === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / rows;
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== rows) {
    throw new Error(
      `UnsortedSegmentSum (wasm): segmentIds must be 1-D of length ${rows}, got [${segmentIds.shape}]`,
    );
  }
  // Copies: the heap may move when makeOutput grows it, invalidating views.
  const values = Float32Array.from(wasm.readSync(x.dataId) as ArrayLike<number>);
  const ids = Int32Array.from(wasm.readSync(segmentIds.dataId) as ArrayLike<number>);
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype as 'float32' | 'int32');
  const outValues = wasm.typedArrayFromHeap(out);
  outValues.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = ids[r]!;
    if (s < 0 || s >= numSegments) continue;
    const src = r * rowSize;
    const dst = s * rowSize;
    for (let i = 0; i < rowSize; i++) outValues[dst + i]! += values[src + i]!;
  }
  return out;
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
