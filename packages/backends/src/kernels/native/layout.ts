import {
  backend_util,
  type ConcatAttrs,
  type DataType,
  type GatherV2Attrs,
  type KernelConfig,
  type KernelFunc,
  type PadV2Attrs,
  type SliceAttrs,
  type SplitVAttrs,
  slice_util,
  type TensorInfo,
  type TransposeAttrs,
  type UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { segmentSumShape } from '../shared/segment-sum.js';
import type { NativeBackend, NativeStorage } from './backend.js';
import { slicePlan, transposePlan } from './plans.js';

/** Dtypes whose storage the addon copies (4-byte and 1-byte elements). */
const PLAIN = new Set<DataType>(['float32', 'int32', 'bool']);

export function createNativeTranspose(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { perm } = args.attrs as unknown as TransposeAttrs;
    const plan = transposePlan(x.shape, perm);
    const size = util.sizeFromShape(x.shape);
    if (!PLAIN.has(x.dtype) || !plan || size === 0) return stock.kernelFunc(args);
    const backend = args.backend as unknown as NativeBackend;
    const out = backend.allocate(x.dtype, size);
    backend.addon.copyStrided(backend.values(x), 0, out, plan);
    return backend.output(
      perm.map((axis) => x.shape[axis]!),
      x.dtype,
      out,
    );
  };
  return { kernelName: 'Transpose', backendName: 'native', kernelFunc };
}

/**
 * A box of x. A contiguous one goes to the stock kernel, which returns a view
 * of x's storage (no copy); a strided one (q, k, v out of [B·T, 3C]) is one
 * native copy.
 */
function slice(
  backend: NativeBackend,
  x: TensorInfo,
  begin: number[],
  size: number[],
  stockSlice: KernelConfig,
): TensorInfo {
  const count = util.sizeFromShape(size);
  const { offset, plan } = slicePlan(x.shape, begin, size);
  if (
    !PLAIN.has(x.dtype) ||
    count === 0 ||
    !plan ||
    slice_util.isSliceContinous(x.shape, begin, size)
  ) {
    return stockSlice.kernelFunc({
      inputs: { x },
      backend: backend as never,
      attrs: { begin, size } as never,
    }) as TensorInfo;
  }
  const out = backend.allocate(x.dtype, count);
  backend.addon.copyStrided(backend.values(x), offset, out, plan);
  return backend.output(size, x.dtype, out);
}

export function createNativeSlice(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const attrs = args.attrs as unknown as SliceAttrs;
    const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size);
    slice_util.assertParamsValid(x, begin!, size!);
    return slice(args.backend as unknown as NativeBackend, x, begin!, size!, stock);
  };
  return { kernelName: 'Slice', backendName: 'native', kernelFunc };
}

export function createNativeSplitV(stockSlice: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
    const along = util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, along);
    const backend = args.backend as unknown as NativeBackend;
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[along] = s;
      const part = slice(backend, x, [...begin], size, stockSlice);
      begin[along]! += s;
      return part;
    });
  };
  return { kernelName: 'SplitV', backendName: 'native', kernelFunc };
}

export function createNativeConcat(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const { axis } = args.attrs as unknown as ConcatAttrs;
    const first = inputs[0];
    if (!first || inputs.length > 1024) return stock.kernelFunc(args);
    const along = util.parseAxisParam(axis, first.shape)[0]!;
    const outShape = backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      along,
    );
    const size = util.sizeFromShape(outShape);
    const outer = util.sizeFromShape(first.shape.slice(0, along));
    if (
      !PLAIN.has(first.dtype) ||
      inputs.some((t) => t.dtype !== first.dtype) ||
      size === 0 ||
      outer === 0
    ) {
      return stock.kernelFunc(args);
    }
    const backend = args.backend as unknown as NativeBackend;
    const out = backend.allocate(first.dtype, size);
    backend.addon.concat(
      inputs.map((t) => backend.values(t)),
      out,
      outer,
    );
    return backend.output(outShape, first.dtype, out);
  };
  return { kernelName: 'Concat', backendName: 'native', kernelFunc };
}

export function createNativeGatherV2(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, indices } = args.inputs as Record<string, TensorInfo>;
    const { axis, batchDims } = args.attrs as unknown as GatherV2Attrs;
    const backend = args.backend as unknown as NativeBackend;
    const ids = backend.values(indices!);
    if (!PLAIN.has(x!.dtype) || !(ids instanceof Int32Array)) return stock.kernelFunc(args);
    const along = util.parseAxisParam(axis, x!.shape)[0]!;
    const info = backend_util.segment_util.collectGatherOpShapeInfo(x!, indices!, along, batchDims);
    const count = util.sizeFromShape(info.outputShape);
    const out = backend.allocate(x!.dtype, count);
    const bad = backend.addon.gather(
      backend.values(x!),
      ids,
      out,
      info.batchSize,
      info.outerSize,
      info.dimSize,
      info.sliceSize,
    );
    if (bad >= 0) {
      throw new Error(`GatherV2: the index value ${ids[bad]} is not in [0, ${info.dimSize - 1}]`);
    }
    return backend.output(info.outputShape, x!.dtype, out);
  };
  return { kernelName: 'GatherV2', backendName: 'native', kernelFunc };
}

/** The gradient of gather (embeddings): one scatter-add pass. */
export function createNativeUnsortedSegmentSum(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const segmentIds = args.inputs.segmentIds as TensorInfo;
    const backend = args.backend as unknown as NativeBackend;
    const ids = backend.values(segmentIds);
    if (x.dtype !== 'float32' || !(ids instanceof Int32Array)) return stock.kernelFunc(args);
    const shape = segmentSumShape(
      'native',
      x,
      segmentIds,
      args.attrs as unknown as UnsortedSegmentSumAttrs,
    );
    const out = backend.allocate('float32', shape.numSegments * shape.rowSize) as Float32Array;
    backend.addon.scatterAdd(
      backend.values(x) as Float32Array,
      ids,
      out,
      shape.rows,
      shape.rowSize,
      shape.numSegments,
    );
    return backend.output(shape.outShape, 'float32', out as NativeStorage);
  };
  return { kernelName: 'UnsortedSegmentSum', backendName: 'native', kernelFunc };
}

/**
 * `PadV2` when only the leading axis is padded (the gradient of slicing the
 * position table): one fill and one copy. Other paddings: stock.
 */
export function createNativePadV2(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
    const leadingOnly = paddings.every(
      ([before, after], d) => d === 0 || (before === 0 && after === 0),
    );
    if (!PLAIN.has(x.dtype) || x.shape.length === 0 || !leadingOnly) return stock.kernelFunc(args);
    const [before, after] = paddings[0]!;
    const outShape = x.shape.map((size, d) => (d === 0 ? size + before + after : size));
    const row = util.sizeFromShape(x.shape.slice(1));
    const backend = args.backend as unknown as NativeBackend;
    const out = backend.allocate(x.dtype, util.sizeFromShape(outShape));
    out.fill(constantValue);
    out.set(backend.values(x), before * row);
    return backend.output(outShape, x.dtype, out);
  };
  return { kernelName: 'PadV2', backendName: 'native', kernelFunc };
}
