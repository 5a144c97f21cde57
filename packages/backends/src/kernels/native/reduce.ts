import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type SoftmaxAttrs,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { REDUCE_OP } from './native-kernels.js';
import { transposePlan } from './plans.js';

/**
 * `Sum`, `Max`, `Min`, `Mean`, `Prod` of float32 over any axes: a block of
 * adjacent axes reduces in place as x [outer, size, inner]; scattered axes
 * are moved last by one transposed copy first.
 */
export function createNativeReduce(
  name: keyof typeof REDUCE_OP,
  stock: KernelConfig,
): KernelConfig {
  const op = REDUCE_OP[name];
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    // Max names its axes `reductionIndices`; the others `axis`.
    const attrs = args.attrs as unknown as SumAttrs & { reductionIndices?: number | number[] };
    const axis = name === 'Max' ? attrs.reductionIndices! : attrs.axis;
    const { keepDims } = attrs;
    const total = util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || total === 0) return stock.kernelFunc(args);
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const outShape = keepDims
      ? x.shape.map((size, d) => (axes.includes(d) ? 1 : size))
      : x.shape.filter((_, d) => !axes.includes(d));
    const backend = args.backend as unknown as NativeBackend;
    let values = backend.values(x) as Float32Array;
    let outer: number;
    let size: number;
    let inner: number;
    const adjacent = axes.every((a, i) => a === axes[0]! + i);
    if (axes.length === 0) {
      outer = total;
      size = 1;
      inner = 1;
    } else if (adjacent) {
      outer = util.sizeFromShape(x.shape.slice(0, axes[0]));
      size = util.sizeFromShape(x.shape.slice(axes[0], axes.at(-1)! + 1));
      inner = util.sizeFromShape(x.shape.slice(axes.at(-1)! + 1));
    } else {
      const perm = backend_util.getAxesPermutation(axes, rank)!;
      const plan = transposePlan(x.shape, perm);
      if (!plan) return stock.kernelFunc(args);
      const moved = backend.allocate('float32', total) as Float32Array;
      backend.addon.copyStrided(values, 0, moved, plan);
      values = moved;
      size = util.sizeFromShape(axes.map((a) => x.shape[a]!));
      outer = total / size;
      inner = 1;
    }
    const out = backend.allocate('float32', outer * inner) as Float32Array;
    backend.addon.reduce(op, values, out, outer, size, inner);
    return backend.output(outShape, 'float32', out);
  };
  return { kernelName: name, backendName: 'native', kernelFunc };
}

/** `Softmax` over the last axis (the only one tfjs's op produces). */
export function createNativeSoftmax(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const logits = args.inputs.logits as TensorInfo;
    const { dim } = args.attrs as unknown as SoftmaxAttrs;
    const rank = logits.shape.length;
    const total = util.sizeFromShape(logits.shape);
    if (logits.dtype !== 'float32' || total === 0 || (dim !== -1 && dim !== rank - 1)) {
      return stock.kernelFunc(args);
    }
    const backend = args.backend as unknown as NativeBackend;
    const cols = logits.shape[rank - 1]!;
    const out = backend.allocate('float32', total) as Float32Array;
    backend.addon.softmax(backend.values(logits) as Float32Array, out, total / cols, cols, false);
    return backend.output(logits.shape, 'float32', out);
  };
  return { kernelName: 'Softmax', backendName: 'native', kernelFunc };
}
