import { type KernelFunc, registerKernel, type TensorInfo, type UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';

/**
 * Test-only speed fix: tfjs's cpu `UnsortedSegmentSum` (the gradient of the
 * embedding `gather`) loops over every segment with whole-tensor ops, O(V·N):
 * 6 s per step for the fixture's vocabulary of 4096. This is the same sum as a
 * direct scatter-add (mirrors @gpt2/backends' wasm kernel). It belongs in
 * @gpt2/backends' cpu provider; until it is there, tests register it.
 */
const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as unknown as {
    readSync(dataId: object): ArrayLike<number>;
    makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
  };
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const rows = x.shape[0] ?? 0;
  const rowSize = rows === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / rows;
  const values = cpu.readSync(x.dataId);
  const ids = cpu.readSync(segmentIds.dataId);
  const out = new Float32Array(numSegments * rowSize);
  for (let r = 0; r < rows; r++) {
    const s = ids[r]!;
    if (s < 0 || s >= numSegments) continue;
    for (let i = 0; i < rowSize; i++) out[s * rowSize + i]! += values[r * rowSize + i]!;
  }
  return cpu.makeTensorInfo([numSegments, ...x.shape.slice(1)], 'float32', out);
};

/** Replace the cpu backend's UnsortedSegmentSum with a direct scatter-add. */
export function registerFastCpuSegmentSum(): void {
  const warn = console.warn;
  console.warn = () => undefined; // tfjs warns that the kernel is being replaced
  try {
    registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'cpu', kernelFunc });
  } finally {
    console.warn = warn;
  }
}
