import type {
  KernelConfig,
  KernelFunc,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import { scatterAddRows, segmentSumShape } from '../shared/segment-sum.js';

interface CpuBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array | Int32Array): TensorInfo;
}

/**
 * tfjs-backend-cpu's `UnsortedSegmentSum` loops over every segment with
 * whole-tensor ops, O(numSegments · rows): the embedding gradient at a 4,096
 * vocabulary took about 6 s per step. The same sum as one scatter-add pass.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as unknown as CpuBackendLike;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const shape = segmentSumShape('cpu', x, segmentIds, attrs as unknown as UnsortedSegmentSumAttrs);
  const out =
    x.dtype === 'int32'
      ? new Int32Array(shape.numSegments * shape.rowSize)
      : new Float32Array(shape.numSegments * shape.rowSize);
  scatterAddRows(cpu.readSync(x.dataId), cpu.readSync(segmentIds.dataId), shape, out);
  return cpu.makeTensorInfo(shape.outShape, x.dtype, out);
};

export const cpuUnsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'cpu',
  kernelFunc: unsortedSegmentSum,
};
